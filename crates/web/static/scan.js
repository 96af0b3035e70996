// The scan page: where the browser reads QR codes (BarcodeDetector), the camera fills
// the code and sends it; a USB or Bluetooth scanner types the code and Enter into the
// focused field; a code can be typed. Each send carries the nonce the page was given.
(function () {
  var form = document.getElementById("scan-form");
  var input = document.getElementById("code");
  var start = document.getElementById("camera");
  var video = document.getElementById("camera-view");
  if (!form || !input) return;
  input.focus();
  if (!start || !video || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  start.hidden = false;
  start.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      var timer = setInterval(function () {
        detector.detect(video).then(function (codes) {
          var hit = codes.find(function (c) { return c.rawValue && c.rawValue.indexOf("TX1.") === 0; });
          if (!hit) return;
          clearInterval(timer);
          stream.getTracks().forEach(function (t) { t.stop(); });
          input.value = hit.rawValue;
          form.submit();
        }).catch(function () {});
      }, 250);
    }).catch(function () { start.disabled = true; });
  });
})();
