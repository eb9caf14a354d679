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

  /* Forms with data-draft="key" keep what was typed in localStorage until submitted successfully. */
  function keepDraft(form) {
    var key = "ejia.draft." + form.dataset.draft;
    try {
      var saved = JSON.parse(localStorage.getItem(key) || "null");
      if (saved) {
        Object.keys(saved).forEach(function (name) {
          var input = form.elements[name];
          if (input && input.type !== "checkbox" && !input.value) input.value = saved[name];
        });
      }
    } catch (e) { /* a broken draft is simply dropped */ }
    form.addEventListener("input", function () {
      var data = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name && el.type !== "checkbox" && el.type !== "file") data[el.name] = el.value;
      });
      try { localStorage.setItem(key, JSON.stringify(data)); } catch (e) { /* storage full or private mode */ }
    });
    return function clear() { try { localStorage.removeItem(key); } catch (e) { /* ignore */ } };
  }

  function newIdempotencyKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  document.querySelectorAll("form[data-draft]").forEach(function (form) { form._clearDraft = keepDraft(form); });

  window.ejia = { api: api, toast: toast, problemText: problemText, keepDraft: keepDraft, newIdempotencyKey: newIdempotencyKey };
})();
