// Big screen: a button that fills the screen (the page refreshes itself every minute).
document.addEventListener("DOMContentLoaded", function () {
  var b = document.getElementById("fullscreen");
  if (!b) return;
  b.addEventListener("click", function () {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen();
  });
});
