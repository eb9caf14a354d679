// 数据大屏: fresh figures every few minutes (data-refresh seconds), a full-screen button where the browser
// has one, and the screen kept awake (Wake Lock) while shown.
(function () {
  var screen = document.getElementById("dp");
  var every = screen ? parseInt(screen.getAttribute("data-refresh"), 10) : 0;
  if (every > 0) setTimeout(function () { location.reload(); }, every * 1000);
  var button = document.getElementById("screen-full");
  var root = document.documentElement;
  if (button && root.requestFullscreen) {
    button.hidden = false;
    button.addEventListener("click", function () {
      if (document.fullscreenElement) document.exitFullscreen();
      else root.requestFullscreen().catch(function () {});
    });
  }
  function awake() {
    if (!("wakeLock" in navigator) || document.visibilityState !== "visible") return;
    navigator.wakeLock.request("screen").catch(function () {});
  }
  document.addEventListener("visibilitychange", awake);
  awake();
})();
