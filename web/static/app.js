/* ejia: the few helpers every page shares — API calls, a toast, drafts that survive a dropped network. */
(function () {
  "use strict";

  function toast(text, ms) {
    var el = document.getElementById("toast");
    if (!el) return;
    el.textContent = text;
    el.hidden = false;
    clearTimeout(el._t);
    el._t = setTimeout(function () { el.hidden = true; }, ms || 2500);
  }

  /* Call the JSON API with the session cookie; resolves with the body, rejects with a problem document. */
  function api(method, path, body, headers) {
    var opts = { method: method, credentials: "same-origin", headers: Object.assign({ "Accept": "application/json" }, headers || {}) };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch("/api/v1" + path, opts).then(function (resp) {
      if (resp.status === 204) return null;
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (resp.ok) return data;
        if (resp.status === 401) {
          location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
        }
        data.status = resp.status;
        throw data;
      });
    }, function () {
      throw { code: "network_error", detail: "网络不太好，内容已保存在本机，请稍后重试" };
    });
  }

  function problemText(p) {
    if (p && p.errors && p.errors.length) return p.errors.map(function (e) { return e.message; }).join("；");
    return (p && (p.detail || p.title)) || "操作失败，请稍后再试";
  }

  /* Fields a draft keeps: what a person types or picks, and hidden fields scripts fill (never files or check boxes). */
  function draftable(el) {
    return el && el.name && el.type && ["checkbox", "radio", "file", "submit", "button"].indexOf(el.type) < 0;
  }

  /* Forms with data-draft="key" keep what was typed in localStorage until submitted successfully.
     A draft exists only while there are unsent edits, so it wins over the values the page came with. */
  function keepDraft(form) {
    var key = "ejia.draft." + form.dataset.draft;
    try {
      var saved = JSON.parse(localStorage.getItem(key) || "null");
      var restored = false;
      if (saved) {
        Object.keys(saved).forEach(function (name) {
          var input = form.elements[name];
          if (!draftable(input) || input.value === saved[name]) return;
          // A hidden value the page set itself (an id, a token) is the page's; only an empty one is the draft's.
          if (input.type === "hidden" && input.value) return;
          input.value = saved[name];
          restored = true;
        });
      }
      if (restored) toast("已恢复上次未提交的内容");
    } catch (e) { /* a broken draft is simply dropped */ }
    form.addEventListener("input", function () {
      var data = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (draftable(el)) data[el.name] = el.value;
      });
      try { localStorage.setItem(key, JSON.stringify(data)); } catch (e) { /* storage full or private mode */ }
    });
    return function clear() { try { localStorage.removeItem(key); } catch (e) { /* ignore */ } };
  }

  /* A form's fields as the JSON the API expects; blanks are left out. A check box gives true/false;
     data-type says how to read a value: int, float, bool, list (split at commas and spaces),
     lines (one item a line) or datetime (a local datetime-local value as an ISO instant). */
  function collect(form) {
    var body = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || (el.type === "radio" && !el.checked)) return;
      var v = el.type === "checkbox" ? el.checked : el.value.trim();
      if (v === "") return;
      var t = el.dataset.type;
      if (t === "int") v = parseInt(v, 10);
      else if (t === "float") v = parseFloat(v);
      else if (t === "bool") v = v === "true";
      else if (t === "list") v = v.split(/[,，、;；\s]+/).filter(Boolean);
      else if (t === "lines") v = v.split(/\n+/).map(function (x) { return x.trim(); }).filter(Boolean);
      else if (t === "datetime") v = new Date(v).toISOString();
      body[el.name] = v;
    });
    return body;
  }

  function newIdempotencyKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  document.querySelectorAll("form[data-draft]").forEach(function (form) { form._clearDraft = keepDraft(form); });

  window.ejia = {
    api: api, toast: toast, problemText: problemText, keepDraft: keepDraft, collect: collect,
    newIdempotencyKey: newIdempotencyKey
  };
})();
