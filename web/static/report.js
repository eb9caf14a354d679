/* In-service party members: report to the branch, claim posts, log work; staff review, rate and set up posts. */
(function () {
  "use strict";

  function wire(form, pathOf) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = ejia.collect(form);
      var path = pathOf(body);
      var button = form.querySelector("[type=submit]");
      var asked = form.dataset.confirm ? ejia.confirm(form.dataset.confirm, { danger: true }) : Promise.resolve(true);
      asked.then(function (yes) {
        if (!yes) return;
        ejia.busy(button, true);
        ejia.api(form.dataset.method || "POST", path, body).then(function () {
          if (form._clearDraft) form._clearDraft();
          ejia.toast(form.dataset.ok || "已提交");
          setTimeout(function () { location.reload(); }, 700);
        }, function (p) {
          ejia.busy(button, false);
          ejia.toast(ejia.problemText(p));
        });
      });
    });
  }

  document.querySelectorAll("form[data-api]").forEach(function (form) {
    wire(form, function () { return form.dataset.api; });
  });
  /* Forms whose path takes a field's value: /orgs/{org}/posts, /members/7/service-cards/2026/{quarter}. */
  document.querySelectorAll("form[data-api-template]").forEach(function (form) {
    wire(form, function (body) {
      return form.dataset.apiTemplate.replace(/\{(\w+)\}/g, function (_, name) {
        var value = body[name];
        delete body[name];
        return encodeURIComponent(value);
      });
    });
  });
  var print = document.getElementById("print");
  if (print) print.addEventListener("click", function () { window.print(); });
})();
