// "Near me": the phone's location fills the form's hidden lng/lat and sends it (in the
// form's body, not the address bar). Without a location (refused, no GPS) the typed
// address is used; without this script the address works alone.
(function () {
  var button = document.getElementById("use-location");
  if (!button) return;
  if (!navigator.geolocation) { button.hidden = true; return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    var form = button.form;
    var note = document.getElementById("location-note");
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.querySelector('input[name="lng"]').value = pos.coords.longitude.toFixed(5);
      form.querySelector('input[name="lat"]').value = pos.coords.latitude.toFixed(5);
      form.submit();
    }, function () {
      button.disabled = false;
      if (note) note.hidden = false;
    }, { enableHighAccuracy: false, timeout: 10000, maximumAge: 60000 });
  });
})();
