(function () {
  "use strict";
  var form = document.getElementById("profile-form");
  var party = form.elements.is_party_member;
  var typeRow = document.getElementById("member-type-row");
  party.addEventListener("change", function () { typeRow.hidden = !party.checked; });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var body = { name: form.elements.name.value.trim(), is_party_member: party.checked,
                 skills: form.elements.skills.value.split(/[、,，;；\s]+/).filter(function (s) { return s; }) };
    if (party.checked) body.member_type = form.elements.member_type.value || null;
    var home = form.elements.home_org_id, born = form.elements.birth_year;
    if (!home.disabled && home.value) body.home_org_id = parseInt(home.value, 10);
    if (!born.disabled && born.value) body.birth_year = parseInt(born.value, 10);
    ejia.api("PATCH", "/me", body).then(function () {
      if (form._clearDraft) form._clearDraft();
      ejia.toast("已保存");
    }, function (p) { ejia.toast(ejia.problemText(p)); });
  });
  var phoneForm = document.getElementById("phone-form");
  document.getElementById("new-phone-code").addEventListener("click", function () {
    ejia.api("POST", "/auth/sms-code", { phone: phoneForm.elements.phone.value.trim() }).then(function (data) {
      if (data && data.debug_code) phoneForm.elements.code.value = data.debug_code;
      ejia.toast("验证码已发送");
    }, function (p) { ejia.toast(ejia.problemText(p)); });
  });
  phoneForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    ejia.api("POST", "/auth/change-phone", { phone: phoneForm.elements.phone.value.trim(), code: phoneForm.elements.code.value.trim() })
      .then(function () { ejia.toast("手机号已更换"); setTimeout(function () { location.reload(); }, 800); },
        function (p) { ejia.toast(ejia.problemText(p)); });
  });
  document.getElementById("elderly-switch").addEventListener("change", function (ev) {
    var on = ev.target.checked;
    ejia.api("PATCH", "/me", { elderly_mode: on }).then(function () {
      document.documentElement.classList.toggle("elderly", on);
      ejia.toast(on ? "已切换为大字版" : "已切换为标准版");
    }, function (p) { ev.target.checked = !on; ejia.toast(ejia.problemText(p)); });
  });
  document.querySelectorAll("#push-settings input[type=checkbox]").forEach(function (box) {
    box.addEventListener("change", function () {
      var body = {};
      body[box.name] = box.checked;
      ejia.api("PATCH", "/notifications/settings", body).then(function () { ejia.toast("提醒设置已保存"); },
        function (p) { box.checked = !box.checked; ejia.toast(ejia.problemText(p)); });
    });
  });
  document.getElementById("logout").addEventListener("click", function () {
    ejia.api("POST", "/auth/logout").then(function () { location.href = "/login"; });
  });
})();
