/* Meetings: minutes and resolutions, action items (give, report done), the chair rotation. */
(function () {
  "use strict";
  var box = document.getElementById("meeting");
  var id = box && box.dataset.id;

  function reloadSoon(text) { ejia.toast(text); setTimeout(function () { location.reload(); }, 800); }
  function fail(p) { ejia.toast(ejia.problemText(p)); }

  var minutesForm = document.getElementById("minutes-form");
  if (minutesForm) {
    minutesForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var f = minutesForm.elements;
      var body = {
        text: f.text.value.trim(),
        public: f.public.checked,
        resolutions: f.resolutions.value.split(/\n+/).map(function (x) { return x.trim(); })
          .filter(Boolean).map(function (x) { return { text: x }; })
      };
      if (f.chair_unit_id && f.chair_unit_id.value) body.chair_unit_id = parseInt(f.chair_unit_id.value, 10);
      ejia.api("POST", "/activities/" + id + "/minutes", body).then(function () {
        if (minutesForm._clearDraft) minutesForm._clearDraft();
        reloadSoon("纪要已保存");
      }, fail);
    });
  }

  var itemForm = document.getElementById("item-form");
  if (itemForm) {
    itemForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var f = itemForm.elements;
      var owner = f.owner.value.split(":");
      var body = { text: f.text.value.trim(), due_on: f.due_on.value };
      body[owner[0] === "org" ? "owner_org_id" : "owner_user_id"] = parseInt(owner[1], 10);
      ejia.api("POST", "/activities/" + id + "/action-items", body).then(function () { reloadSoon("已交办"); }, fail);
    });
  }

  document.querySelectorAll("form[data-done]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var btn = form.querySelector("button");
      btn.disabled = true;
      ejia.api("POST", "/action-items/" + form.dataset.done + "/done", { note: form.elements.note.value.trim() }).then(function () {
        reloadSoon("已办结");
      }, function (p) { btn.disabled = false; fail(p); });
    });
  });

  /* The rotation's order is the order units were ticked in, starting from the saved order. */
  document.querySelectorAll("form[data-rotation]").forEach(function (form) {
    var order = [];
    form.querySelectorAll("input[name=unit]:checked").forEach(function (el) { order.push(parseInt(el.value, 10)); });
    form.querySelectorAll("input[name=unit]").forEach(function (el) {
      el.addEventListener("change", function () {
        var v = parseInt(el.value, 10);
        order = order.filter(function (x) { return x !== v; });
        if (el.checked) order.push(v);
      });
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      ejia.api("PUT", "/orgs/" + form.dataset.rotation + "/chair-rotation", { unit_ids: order }).then(function () {
        reloadSoon("轮值顺序已保存");
      }, fail);
    });
  });
})();

/* Photos: a picked file goes straight up (the server re-encodes it), then the page shows it. */
(function () {
  "use strict";
  document.querySelectorAll("input[data-upload]").forEach(function (input) {
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) return;
      var data = new FormData();
      data.append("photo", file);
      fetch("/api/v1" + input.dataset.upload, { method: "POST", body: data, credentials: "same-origin" }).then(function (r) {
        if (r.ok) { ejia.toast("照片已上传"); setTimeout(function () { location.reload(); }, 800); return; }
        return r.json().then(function (p) { ejia.toast(ejia.problemText(p)); });
      }, function () { ejia.toast("网络不太好，照片未能上传"); });
    });
  });
})();
