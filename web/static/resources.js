(function () {
  "use strict";
  var form = document.getElementById("resource-form");
  var hint = document.getElementById("resource-hint");
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var body = {
      unit_id: parseInt(form.elements.unit_id.value, 10),
      title: form.elements.title.value.trim(),
      category: form.elements.category.value,
      description: form.elements.description.value.trim(),
      contact_name: form.elements.contact_name.value.trim()
    };
    var phone = form.elements.contact_phone.value.trim();
    if (phone) body.contact_phone = phone;
    if (body.title.length < 2) { hint.textContent = "请填写服务名称（至少2个字）"; return; }
    ejia.api("POST", "/resources", body).then(function () {
      if (form._clearDraft) form._clearDraft();
      location.reload();
    }, function (p) { hint.textContent = ejia.problemText(p); });
  });
  document.querySelectorAll("[data-withdraw]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      ejia.api("POST", "/resources/" + btn.dataset.withdraw + "/withdraw").then(function () {
        location.reload();
      }, function (p) { ejia.toast(ejia.problemText(p)); });
    });
  });
})();
