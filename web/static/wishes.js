/* Micro-wishes: post a wish (big category buttons, draft kept offline, optional photo) and act on one. */
(function () {
  "use strict";

  /* ---- post a wish ---- */
  var form = document.getElementById("wish-form");
  if (form) {
    var category = document.getElementById("category");
    var buttons = form.querySelectorAll("[data-category]");
    var press = function (value) {
      buttons.forEach(function (b) { b.setAttribute("aria-pressed", b.dataset.category === value ? "true" : "false"); });
    };
    press(category.value);  // a restored draft
    buttons.forEach(function (b) {
      b.addEventListener("click", function () {
        category.value = b.dataset.category;
        press(category.value);
        form.dispatchEvent(new Event("input"));  // keep the choice in the draft too
      });
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var title = form.elements.title.value.trim();
      if (!category.value) { ejia.toast("请先选一个类别"); return; }
      if (title.length < 2) { ejia.toast("请用一句话写下您的心愿"); form.elements.title.focus(); return; }
      var body = { title: title, description: form.elements.description.value.trim(), category: category.value };
      if (form.elements.deadline.value) body.deadline = form.elements.deadline.value + "T23:59:00+08:00";
      if (form.elements.child_name.value.trim()) body.child_name = form.elements.child_name.value.trim();
      if (form.elements.child_school.value.trim()) body.child_school = form.elements.child_school.value.trim();
      var submit = document.getElementById("submit-wish");
      submit.disabled = true;
      ejia.api("POST", "/wishes", body).then(function (wish) {
        if (form._clearDraft) form._clearDraft();
        var file = form.elements.photo.files && form.elements.photo.files[0];
        var next = function () { location.href = "/wishes/" + wish.id; };
        if (!file) { ejia.toast("已提交，等待社区审核"); setTimeout(next, 600); return; }
        ejia.uploadPhoto("/wishes/" + wish.id + "/photos", file).then(function () {
          ejia.toast("已提交，等待社区审核");
          setTimeout(next, 800);
        }, function (p) { ejia.toast("心愿已提交，照片未能上传：" + ejia.problemText(p), 4000); setTimeout(next, 4000); });
      }, function (p) { submit.disabled = false; ejia.toast(ejia.problemText(p)); });
    });
  }

  /* ---- act on one wish ---- */
  var box = document.getElementById("wish");
  var wishId = box && box.dataset.wishId;
  var act = function (action, body, done) {
    return ejia.api("POST", "/wishes/" + wishId + "/" + action, body).then(function () {
      if (done) done();
      ejia.toast({ review: "已处理", claim: "认领成功", release: "已放弃认领", done: "已提交，等待许愿人确认",
                   confirm: "感谢您的评价", verify: "验收通过，已记入时间银行", cancel: "心愿已撤回" }[action] || "已完成");
      setTimeout(function () { location.reload(); }, 700);
    }, function (p) { ejia.toast(ejia.problemText(p)); throw p; });
  };
  var number = function (v) { return v === "" ? null : parseInt(v, 10); };

  document.querySelectorAll("form[data-wish-action]").forEach(function (f) {
    f.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var action = f.dataset.wishAction, el = f.elements, body = {};
      if (action === "review") {
        body.approve = !ev.submitter || ev.submitter.value === "1";
        if (el.reason.value.trim()) body.reason = el.reason.value.trim();
        if (!body.approve && !body.reason) { ejia.toast("请填写不通过的原因"); el.reason.focus(); return; }
        if (body.approve && el.assign_org_id.value) body.assign_org_id = number(el.assign_org_id.value);
        if (body.approve && el.assign_team_id && el.assign_team_id.value) body.assign_team_id = number(el.assign_team_id.value);
      } else if (action === "claim") {
        if (el.promise_date.value) body.promise_date = el.promise_date.value;
      } else if (action === "done") {
        body = { note: el.note.value.trim(), minutes_spent: number(el.minutes_spent.value) };
        if (!body.note || !body.minutes_spent) { ejia.toast("请写下做了什么和用时"); return; }
      } else if (action === "confirm") {
        var checked = f.querySelector("input[name=rating]:checked");
        body = { rating: checked ? number(checked.value) : 5 };
        if (el.comment.value.trim()) body.comment = el.comment.value.trim();
        if (el.on_behalf) body.on_behalf = true;
      } else if (action === "verify") {
        body = { credit_minutes: number(el.credit_minutes.value) || 0 };
        if (el.note.value.trim()) body.note = el.note.value.trim();
      }
      var buttons = f.querySelectorAll("button");
      buttons.forEach(function (b) { b.disabled = true; });
      act(action, body, f._clearDraft).catch(function () { buttons.forEach(function (b) { b.disabled = false; }); });
    });
  });

  document.querySelectorAll("[data-wish-simple]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var asked = btn.dataset.confirm ? ejia.confirm(btn.dataset.confirm, { danger: true }) : Promise.resolve(true);
      asked.then(function (yes) {
        if (!yes) return;
        ejia.busy(btn, true);
        act(btn.dataset.wishSimple).catch(function () { ejia.busy(btn, false); });
      });
    });
  });

  /* Stars light up to the chosen rating. */
  var stars = document.getElementById("stars");
  if (stars) {
    var paint = function () {
      var checked = stars.querySelector("input:checked"), n = checked ? parseInt(checked.value, 10) : 0;
      stars.querySelectorAll("label").forEach(function (l, i) { l.classList.toggle("on", i < n); });
    };
    stars.addEventListener("change", paint);
    paint();
  }

  var readAll = document.getElementById("read-all");
  if (readAll) {
    readAll.addEventListener("click", function () {
      ejia.api("POST", "/notifications/read-all").then(function () { location.reload(); },
        function (p) { ejia.toast(ejia.problemText(p)); });
    });
  }
})();
