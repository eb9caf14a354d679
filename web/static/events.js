/* Grid events: report a problem (draft kept offline, optional location) and act on one. */
(function () {
  "use strict";

  /* ---- report a problem ---- */
  var form = document.getElementById("event-form");
  if (form) {
    var geoStatus = document.getElementById("geo-status");
    var showGeo = function () {
      if (form.elements.lat.value) geoStatus.textContent = "已附带定位";
    };
    showGeo();
    document.getElementById("geo").addEventListener("click", function () {
      if (!navigator.geolocation) { ejia.toast("此设备无法定位，请填写具体位置"); return; }
      geoStatus.textContent = "正在定位…";
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.elements.lat.value = pos.coords.latitude.toFixed(6);
        form.elements.lng.value = pos.coords.longitude.toFixed(6);
        form.dispatchEvent(new Event("input"));
        showGeo();
      }, function () { geoStatus.textContent = "定位失败，请填写具体位置"; }, { timeout: 10000 });
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = ejia.collect(form);
      if (!body.category) { ejia.toast("请选择问题类别"); return; }
      if (!body.description || body.description.length < 2) { ejia.toast("请说一说是什么问题"); form.elements.description.focus(); return; }
      if (!body.org_id) { ejia.toast("请选择所在小区"); return; }
      var submit = document.getElementById("submit-event");
      submit.disabled = true;
      delete body.photo;
      ejia.api("POST", "/events", body).then(function (created) {
        if (form._clearDraft) form._clearDraft();
        var next = function () { location.href = "/events/" + created.id; };
        var file = form.elements.photo.files && form.elements.photo.files[0];
        if (!file) { ejia.toast("已提交，网格员会尽快处理"); setTimeout(next, 600); return; }
        ejia.uploadPhoto("/events/" + created.id + "/photos", file).then(function () {
          ejia.toast("已提交，网格员会尽快处理");
          setTimeout(next, 800);
        }, function (p) { ejia.toast("问题已提交，照片未能上传：" + ejia.problemText(p), 4000); setTimeout(next, 4000); });
      }, function (p) { submit.disabled = false; ejia.toast(ejia.problemText(p)); });
    });
  }

  /* ---- act on one event ---- */
  var box = document.getElementById("event");
  if (box) {
    document.querySelectorAll("form[data-action]").forEach(function (f) {
      f.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var button = f.querySelector("[type=submit]");
        button.disabled = true;
        ejia.api("POST", "/events/" + box.dataset.eventId + "/" + f.dataset.action, ejia.collect(f)).then(function () {
          ejia.toast(f.dataset.ok || "已提交");
          setTimeout(function () { location.reload(); }, 700);
        }, function (p) { button.disabled = false; ejia.toast(ejia.problemText(p)); });
      });
    });
  }
})();
