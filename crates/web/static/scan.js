// The scan page: the camera reads QR codes — with the browser's own reader where it has
// one (BarcodeDetector: Chrome on Android, Safari on macOS), else with jsQR, fetched only
// when the camera is first used (iPhones, WeChat's browser, desktops) — fills the code
// and sends it; a USB or Bluetooth scanner types the code and Enter into the focused
// field; a code can be typed. Each send carries the nonce the page was given.
(function () {
  var form = document.getElementById("scan-form");
  var input = document.getElementById("code");
  var start = document.getElementById("camera");
  var video = document.getElementById("camera-view");
  if (!form || !input) return;
  input.focus();
  if (!start || !video || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  start.hidden = false;

  // A reader: a function from the video to the texts of the codes it sees now.
  function nativeReader() {
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") < 0) throw new Error("no QR codes here");
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      return function () {
        return detector.detect(video).then(function (codes) {
          return codes.map(function (c) { return c.rawValue; });
        });
      };
    });
  }

  function jsqrReader() {
    var loaded = window.jsQR ? Promise.resolve() : new Promise(function (ok, fail) {
      var s = document.createElement("script");
      s.src = "/static/jsqr.js";
      s.onload = ok;
      s.onerror = fail;
      document.head.appendChild(s);
    });
    var canvas = document.createElement("canvas");
    var ctx = canvas.getContext("2d", { willReadFrequently: true });
    return loaded.then(function () {
      return function () {
        var w = video.videoWidth, h = video.videoHeight;
        if (!w || !h) return Promise.resolve([]);
        // At most 640 px across: enough for a ticket held up to the camera, and fast.
        var k = Math.min(1, 640 / Math.max(w, h));
        w = Math.round(w * k);
        h = Math.round(h * k);
        canvas.width = w;
        canvas.height = h;
        ctx.drawImage(video, 0, 0, w, h);
        var hit = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "dontInvert" });
        return Promise.resolve(hit ? [hit.data] : []);
      };
    });
  }

  start.addEventListener("click", function () {
    start.disabled = true;
    var reader = ("BarcodeDetector" in window) ? nativeReader().catch(jsqrReader) : jsqrReader();
    Promise.all([reader, navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })])
      .then(function (got) {
        var read = got[0], stream = got[1];
        video.srcObject = stream;
        video.hidden = false;
        video.play();
        var busy = false;
        var timer = setInterval(function () {
          if (busy) return;
          busy = true;
          read().then(function (texts) {
            busy = false;
            var hit = texts.find(function (t) { return t && t.indexOf("TX1.") === 0; });
            if (!hit) return;
            clearInterval(timer);
            stream.getTracks().forEach(function (t) { t.stop(); });
            input.value = hit;
            form.submit();
          }).catch(function () { busy = false; });
        }, 250);
      })
      .catch(function () { start.hidden = true; });
  });
})();
