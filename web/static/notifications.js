/* Messages: opening one marks it read; one button marks them all read. */
(function () {
  "use strict";
  document.querySelectorAll("a[data-unread]").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      ev.preventDefault();
      var go = function () { location.href = a.getAttribute("href"); };
      ejia.api("POST", "/notifications/" + a.dataset.note + "/read").then(go, go);
    });
  });
  var all = document.getElementById("read-all");
  if (all) {
    all.addEventListener("click", function () {
      all.disabled = true;
      ejia.api("POST", "/notifications/read-all").then(function () { location.reload(); },
        function (p) { all.disabled = false; ejia.toast(ejia.problemText(p)); });
    });
  }
})();
