/* Activities: sign up (or join the waiting list), cancel, and the organiser's tools. */
(function () {
  "use strict";
  var box = document.getElementById("activity");
  var id = box && box.dataset.id;

  function reloadSoon(text) { ejia.toast(text); setTimeout(function () { location.reload(); }, 800); }
  function fail(p) { ejia.toast(ejia.problemText(p)); }

  document.querySelectorAll("[data-signup]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      btn.disabled = true;
      var wait = btn.dataset.signup === "wait";
      ejia.api("POST", "/activities/" + id + "/signup" + (wait ? "?wait=true" : "")).then(function (s) {
        reloadSoon(s.status === "waiting" ? "已加入候补，第 " + s.position + " 位" : "报名成功");
      }, function (p) {
        btn.disabled = false;
        if (p.code === "activity_full") { reloadSoon("名额刚刚报满，可加入候补"); return; }
        fail(p);
      });
    });
  });

  document.querySelectorAll("[data-signup-cancel]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      ejia.confirm("确定取消报名吗？", { ok: "取消报名", cancel: "再想想", danger: true }).then(function (yes) {
        if (!yes) return;
        ejia.busy(btn, true);
        ejia.api("DELETE", "/activities/" + id + "/signup").then(function () { reloadSoon("已取消"); },
          function (p) { ejia.busy(btn, false); fail(p); });
      });
    });
  });

  var phoneForm = document.getElementById("phone-signin");
  if (phoneForm) {
    phoneForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = { phone: phoneForm.elements.phone.value.trim() };
      if (phoneForm.elements.name.value.trim()) body.name = phoneForm.elements.name.value.trim();
      var send = function () {
        return ejia.api("POST", "/activities/" + id + "/attendance", body).then(function (a) {
          phoneForm.reset();
          ejia.toast(a.duplicate ? a.user.name + " 已签到过" : a.user.name + " 签到成功");
        });
      };
      send().catch(function (p) {
        if (p.code !== "activity_full") return fail(p);
        /* A walk-in (often an older neighbour) is not turned away: the organiser may let them in. */
        ejia.confirm("名额已满。仍让这位居民参加吗？（超出名额会记入操作日志）", { ok: "超出名额签到" }).then(function (yes) {
          if (!yes) return;
          body.over_capacity = true;
          send().catch(fail);
        });
      });
    });
  }

  var ticketForm = document.getElementById("ticket-signin");
  if (ticketForm) {
    ticketForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      ejia.api("POST", "/activities/" + id + "/tickets", { token: ticketForm.elements.ticket.value.trim() }).then(function (a) {
        ticketForm.reset();
        ejia.toast(a.duplicate ? a.user.name + " 已签到过" : a.user.name + " 签到成功");
      }, fail);
    });
  }

  /* The organiser checks a resident's ticket by camera (their phone shows it, or a printed one). */
  var ticketVideo = document.getElementById("ticket-camera");
  if (ticketForm && ticketVideo && ejia.qrCamera) {
    var startCam = document.getElementById("ticket-camera-start"), stopCam = document.getElementById("ticket-camera-stop");
    var ticketCamera = ejia.qrCamera(ticketVideo, {
      jsqr: (document.currentScript && document.currentScript.dataset.jsqr) || "/static/vendor/jsqr/jsQR.js",
      onCode: function (text) { ticketForm.elements.ticket.value = text; ticketForm.requestSubmit(); },
      onError: function () { ejia.toast("无法打开摄像头，请粘贴入场码"); },
      onState: function (on) { stopCam.hidden = !on; startCam.hidden = on; }
    });
    startCam.addEventListener("click", ticketCamera.start);
    stopCam.addEventListener("click", ticketCamera.stop);
  }


  var closeBtn = document.querySelector("[data-close]");
  if (closeBtn) {
    closeBtn.addEventListener("click", function () {
      ejia.confirm("结束后将为已签到的人记入时间银行，未签到的记为缺席。确定结束吗？", { ok: "结束活动", danger: true }).then(function (yes) {
        if (!yes) return;
        ejia.busy(closeBtn, true);
        ejia.api("POST", "/activities/" + id + "/close").then(function (r) {
          reloadSoon("活动已结束：签到 " + r.attended + " 人，缺席 " + r.no_shows + " 人");
        }, function (p) { ejia.busy(closeBtn, false); fail(p); });
      });
    });
  }

  /* Undoing the close: offered for the window the server counted (not the phone's clock), then hidden. */
  var undoBox = document.querySelector("[data-undo-until]");
  if (undoBox) {
    var undoBtn = undoBox.querySelector("[data-close-undo]");
    setTimeout(function () { undoBox.hidden = true; }, Math.max(0, parseInt(undoBox.dataset.undoSeconds, 10)) * 1000);
    undoBtn.addEventListener("click", function () {
      ejia.confirm("撤销后，这次结束记入时间银行的时长将收回，缺席记录取消，活动恢复进行中。确定撤销吗？", { ok: "撤销结束", danger: true }).then(function (yes) {
        if (!yes) return;
        ejia.busy(undoBtn, true);
        ejia.api("POST", "/activities/" + id + "/close/undo").then(function () {
          reloadSoon("已撤销结束，活动恢复进行中");
        }, function (p) {
          ejia.busy(undoBtn, false);
          if (p.code === "undo_window_passed" || p.code === "activity_not_closed") { undoBox.hidden = true; }
          fail(p);
        });
      });
    });
  }

  var form = document.getElementById("activity-form");
  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var f = form.elements;
      var body = { org_id: parseInt(f.org_id.value, 10), kind: f.kind.value, title: f.title.value.trim(),
                   starts_at: new Date(f.starts_at.value).toISOString(), ends_at: new Date(f.ends_at.value).toISOString(),
                   location: f.location.value.trim(), capacity: parseInt(f.capacity.value, 10),
                   credit_minutes: parseInt(f.credit_minutes.value || "0", 10), signup_required: f.signup_required.checked };
      var host = f.org_id.options[f.org_id.selectedIndex].dataset.host;
      if (host) body.host_org_id = parseInt(host, 10);  /* a unit hosting it in its community */
      if (f.team_id && f.team_id.value) body.team_id = parseInt(f.team_id.value, 10);  /* run by a team */
      ejia.api("POST", "/activities", body).then(function (a) {
        if (form._clearDraft) form._clearDraft();
        location.href = "/activities/" + a.id;
      }, fail);
    });
  }
})();
