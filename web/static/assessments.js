/* The co-building assessment: items and weights, itemised scores, approval, commitments. */
(function () {
  "use strict";
  function reloadSoon(text) { ejia.toast(text); setTimeout(function () { location.reload(); }, 800); }
  function fail(p) { ejia.toast(ejia.problemText(p)); }

  var itemsForm = document.getElementById("items-form");
  if (itemsForm) {
    var add = itemsForm.querySelector("[data-add-item]");
    add.addEventListener("click", function () {
      var rows = itemsForm.querySelectorAll("[data-item-row]");
      var copy = rows[rows.length - 1].cloneNode(true);
      copy.querySelectorAll("input").forEach(function (el) { el.value = ""; });
      copy.querySelector("select").value = "";
      rows[rows.length - 1].after(copy);
    });
    itemsForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var items = [];
      itemsForm.querySelectorAll("[data-item-row]").forEach(function (row) {
        var name = row.querySelector("[name=name]").value.trim();
        if (!name) return;
        var item = { name: name, weight: parseInt(row.querySelector("[name=weight]").value || "0", 10) };
        var source = row.querySelector("[name=source]").value;
        if (source) item.source = source;
        items.push(item);
      });
      ejia.api("PUT", "/orgs/" + itemsForm.dataset.org + "/assessment-items", { items: items }).then(function () {
        reloadSoon("考核项目已保存");
      }, fail);
    });
  }

  document.querySelectorAll("[data-approve]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      if (!confirm("审定后各社区评分不能再修改，确定审定吗？")) return;
      btn.disabled = true;
      ejia.api("POST", "/units/" + btn.dataset.approve + "/assessments/" + btn.dataset.year + "/approve").then(function () {
        reloadSoon("已审定");
      }, function (p) { btn.disabled = false; fail(p); });
    });
  });

  var scoreForm = document.getElementById("score-form");
  if (scoreForm) {
    scoreForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var scores = [];
      scoreForm.querySelectorAll("[data-item]").forEach(function (fs) {
        var inputs = fs.querySelectorAll("input");
        scores.push({ item: fs.dataset.item, score: parseInt(inputs[0].value, 10), reason: inputs[1].value.trim() });
      });
      var body = { community_id: parseInt(scoreForm.dataset.community, 10), scores: scores };
      ejia.api("PUT", "/units/" + scoreForm.dataset.unit + "/assessments/" + scoreForm.dataset.year, body).then(function (a) {
        if (scoreForm._clearDraft) scoreForm._clearDraft();
        reloadSoon("评分已提交，加权总分 " + a.total);
      }, fail);
    });
  }

  document.querySelectorAll("form[data-commitment]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = {
        kind: form.querySelector("[name=kind]").value,
        title: form.querySelector("[data-name=title]").value.trim(),
        target: parseInt(form.querySelector("[data-name=target]").value, 10),
        period: form.querySelector("[name=period]").value
      };
      ejia.api("POST", "/units/" + form.dataset.unit + "/agreements/" + form.dataset.commitment + "/commitments", body)
        .then(function () { reloadSoon("已添加承诺事项"); }, fail);
    });
  });
})();
