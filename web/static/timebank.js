/* The time-bank pages: donate to family, redeem rewards, and the station master's shelf.
   Every money-moving form holds ONE Idempotency-Key from the moment it is shown until it
   succeeds, so a double tap or a retry after a dropped network never posts twice. */
(function () {
  "use strict";

  function hoursToMinutes(value) {
    var h = parseFloat(value);
    return isFinite(h) ? Math.round(h * 60) : 0;
  }

  /* The same wording as app/hours.py: 750 → "12小时30分", 60 → "1小时", 45 → "45分". */
  function hoursText(minutes) {
    var sign = minutes < 0 ? "−" : "", total = Math.abs(Math.round(minutes));
    var h = Math.floor(total / 60), m = total % 60;
    if (h && m) return sign + h + "小时" + m + "分";
    return sign + (h ? h + "小时" : m + "分");
  }

  /* A key per pending action: kept until the action succeeds (or fails for good). */
  var keys = {};
  function keyFor(action) {
    if (!keys[action]) keys[action] = ejia.newIdempotencyKey();
    return keys[action];
  }
  function settle(action, problem) {
    // A network error may have posted: keep the key so the retry replays. Anything else is final.
    if (!problem || problem.code !== "network_error") delete keys[action];
  }

  var busy = ejia.busy;

  var transfer = document.getElementById("transfer-form");
  if (transfer) {
    transfer.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var minutes = hoursToMinutes(transfer.elements.hours.value);
      if (minutes <= 0) { ejia.toast("请填写转赠时长"); return; }
      var body = { to_phone: transfer.elements.to_phone.value.trim(), minutes: minutes };
      if (transfer.elements.memo.value.trim()) body.memo = transfer.elements.memo.value.trim();
      var button = transfer.querySelector("button[type=submit]");
      var action = "transfer:" + JSON.stringify(body);
      var key = keyFor(action);
      ejia.confirm("确认转赠 " + hoursText(minutes) + " 给 " + body.to_phone + "？", { ok: "确认转赠" }).then(function (yes) {
        if (!yes) return;
        busy(button, true);
        ejia.api("POST", "/timebank/transfers", body, { "Idempotency-Key": key }).then(function (res) {
          settle(action);
          if (transfer._clearDraft) transfer._clearDraft();
          transfer.reset();
          document.getElementById("tb-balance").textContent = hoursText(res.balance_minutes);
          ejia.toast("已转赠给 " + res.to_name);
          setTimeout(function () { location.reload(); }, 1200);
        }, function (p) { settle(action, p); ejia.toast(ejia.problemText(p)); }).then(function () { busy(button, false); });
      });
    });
  }

  document.querySelectorAll("[data-redeem]").forEach(function (button) {
    button.addEventListener("click", function () {
      var id = button.dataset.redeem;
      var action = "redeem:" + id;
      ejia.confirm("用 " + button.dataset.price + " 兑换“" + button.dataset.name + "”？", { ok: "兑换" }).then(function (yes) {
        if (!yes) return;
        busy(button, true);
        ejia.api("POST", "/timebank/rewards/" + id + "/redeem", {}, { "Idempotency-Key": keyFor(action) }).then(function (res) {
          settle(action);
          document.getElementById("tb-balance").textContent = hoursText(res.balance_minutes);
          var stock = document.querySelector("[data-stock='" + id + "']");
          if (stock) stock.textContent = res.stock_left;
          ejia.toast(res.pickup_code ? "兑换成功，领取码 " + res.pickup_code : "兑换成功，请到站点领取");
          setTimeout(function () { location.reload(); }, 1200);
        }, function (p) { settle(action, p); ejia.toast(ejia.problemText(p)); }).then(function () { busy(button, false); });
      });
    });
  });

  var more = document.getElementById("more-entries");
  if (more) {
    var labels = JSON.parse(document.getElementById("tb-kind-labels").textContent);
    more.addEventListener("click", function () {
      busy(more, true);
      ejia.api("GET", "/timebank/me/entries?cursor=" + encodeURIComponent(more.dataset.cursor)).then(function (page) {
        var list = document.getElementById("entries");
        page.items.forEach(function (e) {
          var cell = document.createElement("div");
          cell.className = "weui-cell";
          var bd = document.createElement("div");
          bd.className = "weui-cell__bd";
          bd.textContent = e.memo || labels[e.kind] || e.kind;
          var sub = document.createElement("span");
          sub.className = "tb-sub";
          sub.textContent = (labels[e.kind] || e.kind) + " · " + new Date(e.at).toLocaleString("zh-CN", { hour12: false });
          bd.appendChild(sub);
          var ft = document.createElement("div");
          ft.className = "weui-cell__ft";
          var amount = document.createElement("span");
          amount.className = e.amount_minutes > 0 ? "tb-amount--in" : "tb-amount--out";
          amount.textContent = (e.amount_minutes > 0 ? "+" : "−") + hoursText(Math.abs(e.amount_minutes));
          ft.appendChild(amount);
          cell.appendChild(bd);
          cell.appendChild(ft);
          list.appendChild(cell);
        });
        if (page.next_cursor) { more.dataset.cursor = page.next_cursor; busy(more, false); }
        else { more.parentNode.removeChild(more); }
      }, function (p) { busy(more, false); ejia.toast(ejia.problemText(p)); });
    });
  }

  /* ---- the station master's shelf ---- */
  var rewardForm = document.getElementById("reward-form");
  if (rewardForm) {
    rewardForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var f = rewardForm.elements;
      var body = { org_id: parseInt(f.org_id.value, 10), name: f.name.value.trim(), description: f.description.value.trim(),
                   price_minutes: hoursToMinutes(f.price_hours.value), stock: parseInt(f.stock.value, 10) || 0 };
      if (f.station_id.value) body.station_id = parseInt(f.station_id.value, 10);
      ejia.api("POST", "/timebank/rewards", body).then(function () {
        if (rewardForm._clearDraft) rewardForm._clearDraft();
        ejia.toast("已上架");
        setTimeout(function () { location.reload(); }, 800);
      }, function (p) { ejia.toast(ejia.problemText(p)); });
    });
  }

  document.querySelectorAll("[data-restock]").forEach(function (button) {
    button.addEventListener("click", function () {
      ejia.ask("补货多少件？", { inputmode: "numeric", value: "10", maxlength: "5" }, { ok: "补货" }).then(function (typed) {
        var add = parseInt(typed, 10);
        if (typed === null) return;
        if (!(add > 0)) { ejia.toast("请填写补货件数"); return; }
        var stock = parseInt(button.dataset.stockNow, 10) + add;
        ejia.api("PATCH", "/timebank/rewards/" + button.dataset.restock, { stock: stock }).then(function (r) {
          button.dataset.stockNow = r.stock;
          document.querySelector("[data-stock='" + r.id + "']").textContent = r.stock;
          ejia.toast("库存已更新为 " + r.stock + " 件");
        }, function (p) { ejia.toast(ejia.problemText(p)); });
      });
    });
  });

  document.querySelectorAll("[data-toggle]").forEach(function (button) {
    button.addEventListener("click", function () {
      var active = button.dataset.active !== "true";
      ejia.api("PATCH", "/timebank/rewards/" + button.dataset.toggle, { active: active }).then(function () {
        ejia.toast(active ? "已重新上架" : "已下架");
        setTimeout(function () { location.reload(); }, 800);
      }, function (p) { ejia.toast(ejia.problemText(p)); });
    });
  });

  var handover = document.getElementById("handover-form");
  if (handover) {
    handover.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var code = handover.elements.code.value.replace(/\D/g, "");
      if (code.length !== 8) { ejia.toast("领取码是 8 位数字"); return; }
      var button = handover.querySelector("button[type=submit]");
      busy(button, true);
      ejia.api("POST", "/timebank/redemptions/handover", { code: code }).then(function (v) {
        document.getElementById("handover-result").textContent =
          "已发放：" + v.reward_name + "（" + (v.holder || "居民") + "）";
        handover.reset();
        ejia.toast("已发放");
      }, function (p) { ejia.toast(ejia.problemText(p)); }).then(function () { busy(button, false); });
    });
  }

  document.querySelectorAll("[data-redeem-for]").forEach(function (button) {
    button.addEventListener("click", function () {
      ejia.ask("为哪位居民兑换“" + button.dataset.name + "”？请输入居民手机号",
        { type: "tel", inputmode: "numeric", maxlength: "11", placeholder: "11 位手机号" }, { ok: "代为兑换" }).then(function (phone) {
        if (phone === null) return;
        if (!/^1[3-9]\d{9}$/.test(phone)) { ejia.toast("手机号格式不对"); return; }
        var id = button.dataset.redeemFor;
        var action = "redeem-for:" + id + ":" + phone;
        busy(button, true);
        ejia.api("POST", "/timebank/rewards/" + id + "/redeem", { for_phone: phone }, { "Idempotency-Key": keyFor(action) }).then(function (res) {
          settle(action);
          document.querySelector("[data-stock='" + id + "']").textContent = res.stock_left;
          ejia.toast("已代兑换，居民余额 " + hoursText(res.balance_minutes) + (res.pickup_code ? "，领取码 " + res.pickup_code : ""));
        }, function (p) { settle(action, p); ejia.toast(ejia.problemText(p)); }).then(function () { busy(button, false); });
      });
    });
  });
})();
