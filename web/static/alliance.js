/* Alliance work: teams (join, approve, remove, invite), demonstration posts, my card's promises,
   asking a member for help, a station's service log. Forms post their fields as JSON to data-api. */
(function () {
  "use strict";

  function after(el, ok) {
    ejia.toast(el.dataset.ok || ok || "已提交");
    if (el.dataset.go) { setTimeout(function () { location.href = el.dataset.go; }, 700); return; }
    setTimeout(function () { location.reload(); }, 700);
  }

  document.querySelectorAll("form[data-api]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = ejia.collect(form);
      var button = form.querySelector("[type=submit]");
      if (button) button.disabled = true;
      ejia.api(form.dataset.method || "POST", form.dataset.api, body).then(function (data) {
        if (form._clearDraft) form._clearDraft();
        if (form.dataset.goWish && data && data.id) form.dataset.go = "/wishes/" + data.id;
        after(form);
      }, function (p) {
        if (button) button.disabled = false;
        ejia.toast(ejia.problemText(p));
      });
    });
  });

  /* Buttons that call one route with no body: join, approve, remove. */
  document.querySelectorAll("button[data-call]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      if (btn.dataset.confirm && !window.confirm(btn.dataset.confirm)) return;
      btn.disabled = true;
      ejia.api(btn.dataset.method || "POST", btn.dataset.call).then(function () { after(btn); }, function (p) {
        btn.disabled = false;
        ejia.toast(ejia.problemText(p));
      });
    });
  });

  /* Quick picks: a tap fills a field (the service kinds of a station). */
  document.querySelectorAll("button[data-fill]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var input = document.getElementById(btn.dataset.fill);
      if (!input) return;
      input.value = btn.dataset.value;
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });

  var print = document.getElementById("print");
  if (print) print.addEventListener("click", function () { window.print(); });
})();
