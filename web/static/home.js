/* Home: confirm a finished wish right from its "待您处理" card (a rating must be chosen). */
(function () {
  "use strict";
  /* First sign-in: name, compound and the larger text, in one step. */
  var welcome = document.getElementById("welcome-form");
  if (welcome) {
    welcome.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var f = welcome.elements;
      var body = { name: f.name.value.trim(), elderly_mode: f.elderly_mode.checked };
      if (f.home_org_id) body.home_org_id = parseInt(f.home_org_id.value, 10);
      ejia.api("PATCH", "/me", body).then(function () {
        ejia.toast("欢迎，" + body.name);
        setTimeout(function () { location.reload(); }, 700);
      }, function (p) { ejia.toast(ejia.problemText(p)); });
    });
  }
  document.querySelectorAll("form[data-confirm-wish]").forEach(function (form) {
    var stars = form.querySelector(".wish-stars");
    stars.addEventListener("change", function () {
      var n = parseInt((form.querySelector("input:checked") || { value: 0 }).value, 10);
      stars.querySelectorAll("label").forEach(function (l, i) { l.classList.toggle("on", i < n); });
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var checked = form.querySelector("input[name=rating]:checked");
      if (!checked) { ejia.toast("请先点星星打分"); return; }
      var button = form.querySelector("button");
      button.disabled = true;
      button.textContent = "提交中…";
      ejia.api("POST", "/wishes/" + form.dataset.confirmWish + "/confirm", { rating: parseInt(checked.value, 10) })
        .then(function () {
          ejia.toast("已确认，感谢您的评价");
          setTimeout(function () { location.reload(); }, 700);
        }, function (p) {
          button.disabled = false;
          button.textContent = "确认完成";
          ejia.toast(ejia.problemText(p));
        });
    });
  });
})();
