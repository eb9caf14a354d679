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

  /* A WeUI dialog instead of the browser's confirm()/prompt() (which WeChat titles with the site's
     address and some builds suppress). Resolves with the typed text (or "" with no input) on OK and
     null on cancel. One at a time: a second call while one is open gets the same answer, so a
     double tap never asks twice. */
  var openDialog = null;
  function dialog(opts) {
    if (openDialog) return openDialog;
    var previous = document.activeElement;
    var wrap = document.createElement("div");
    var mask = document.createElement("div");
    mask.className = "weui-mask";
    var box = document.createElement("div");
    box.className = "weui-dialog app-dialog";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-modal", "true");
    var id = "dlg-" + Date.now();
    box.setAttribute("aria-labelledby", id);
    var bd = document.createElement("div");
    bd.className = "weui-dialog__bd";
    var text = document.createElement("p");
    text.id = id;
    text.textContent = opts.text;
    bd.appendChild(text);
    var input = null;
    if (opts.input) {
      input = document.createElement("input");
      input.className = "weui-input app-dialog__input";
      input.setAttribute("aria-labelledby", id);
      Object.keys(opts.input).forEach(function (k) { input.setAttribute(k, opts.input[k]); });
      bd.appendChild(input);
    }
    var ft = document.createElement("div");
    ft.className = "weui-dialog__ft";
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "weui-dialog__btn weui-dialog__btn_default";
    cancel.textContent = opts.cancel || "取消";
    var ok = document.createElement("button");
    ok.type = "button";
    ok.className = "weui-dialog__btn weui-dialog__btn_primary" + (opts.danger ? " app-dialog__btn_danger" : "");
    ok.textContent = opts.ok || "确定";
    ft.appendChild(cancel);
    ft.appendChild(ok);
    box.appendChild(bd);
    box.appendChild(ft);
    wrap.appendChild(mask);
    wrap.appendChild(box);
    document.body.appendChild(wrap);
    openDialog = new Promise(function (resolve) {
      function done(value) {
        document.removeEventListener("keydown", onKey, true);
        wrap.parentNode.removeChild(wrap);
        openDialog = null;
        if (previous && previous.focus) previous.focus();
        resolve(value);
      }
      function onKey(ev) {
        if (ev.key === "Escape") { ev.preventDefault(); done(null); }
        else if (ev.key === "Enter" && input) { ev.preventDefault(); done(input.value.trim()); }
      }
      cancel.addEventListener("click", function () { done(null); });
      mask.addEventListener("click", function () { done(null); });
      ok.addEventListener("click", function () { done(input ? input.value.trim() : ""); });
      document.addEventListener("keydown", onKey, true);
    });
    (input || ok).focus();
    return openDialog;
  }
  function confirmDialog(text, options) {
    return dialog(Object.assign({ text: text }, options || {})).then(function (v) { return v !== null; });
  }
  function ask(text, input, options) {
    return dialog(Object.assign({ text: text, input: input || {} }, options || {}));
  }

  /* A button shows 提交中… while its request is in flight (and cannot be tapped again). */
  function busy(button, on) {
    if (!button) return;
    if (on && !button.disabled) {
      button.dataset.idleText = button.textContent;
      button.textContent = "提交中…";
    } else if (!on && button.dataset.idleText !== undefined) {
      button.textContent = button.dataset.idleText;
      delete button.dataset.idleText;
    }
    button.disabled = on;
    button.classList.toggle("weui-btn_loading", on);
    button.setAttribute("aria-busy", on ? "true" : "false");
  }

  /* Every form's submit button says 提交中… while the write it started is in flight: the submit is
     remembered, and the next non-GET api() call marks that button until it settles. */
  var submitted = null;
  document.addEventListener("submit", function (ev) {
    submitted = ev.submitter || (ev.target.querySelector && ev.target.querySelector("[type=submit]"));
  }, true);
  var rawApi = api;
  api = function (method, path, body, headers) {
    var button = method !== "GET" ? submitted : null;
    submitted = null;
    if (button && button.disabled) button = null;  // already marked by its page
    busy(button, true);
    return rawApi(method, path, body, headers).then(function (data) { busy(button, false); return data; },
      function (p) { busy(button, false); throw p; });
  };

  /* Photos are shrunk on the phone before upload (a 12 MP shot is 4–8 MB; 2048 px JPEG is a few
     hundred KB, and the server re-encodes to the same size anyway), so they go up quickly on a weak
     network and never hit the 5 MB limit (app/limits.py) for a reason nobody is told. */
  var PHOTO_LIMIT = 5 * 1024 * 1024, PHOTO_SIDE = 2048;
  function shrink(file) {
    if (!/^image\//.test(file.type) || !window.createImageBitmap) return Promise.resolve(file);
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, PHOTO_SIDE / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.size <= PHOTO_LIMIT && file.type === "image/jpeg") return file;
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob || file); }, "image/jpeg", 0.85);
      });
    }, function () { return file; });  // not decodable here: let the server judge it
  }
  /* Upload one photo to `path` (e.g. /wishes/7/photos); resolves on success, rejects with a problem
     whose text says why (too large, not an image, no network). */
  function uploadPhoto(path, file) {
    return shrink(file).then(function (blob) {
      if (blob.size > PHOTO_LIMIT) {
        throw { code: "payload_too_large", detail: "照片太大（超过 5 MB），请换一张或截图后再传" };
      }
      var data = new FormData();
      data.append("photo", blob, (file.name || "photo").replace(/\.\w+$/, "") + ".jpg");
      return fetch("/api/v1" + path, { method: "POST", body: data, credentials: "same-origin" }).then(function (r) {
        if (r.ok) return r.json().catch(function () { return {}; });
        return r.json().catch(function () { return {}; }).then(function (p) { p.status = r.status; throw p; });
      }, function () { throw { code: "network_error", detail: "网络不太好，照片没有传上去" }; });
    });
  }

  function newIdempotencyKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  document.querySelectorAll("form[data-draft]").forEach(function (form) { form._clearDraft = keepDraft(form); });

  window.ejia = {
    api: api, toast: toast, problemText: problemText, keepDraft: keepDraft, collect: collect,
    newIdempotencyKey: newIdempotencyKey, confirm: confirmDialog, ask: ask, busy: busy, uploadPhoto: uploadPhoto
  };
})();

/* WeChat's font size (设置 > 通用 > 字体大小): on iOS WeChat scales the page through text-size-adjust, which
   app.css leaves to it; on Android it reports the size through WeixinJSBridge's "menu:setfont" event
   ({fontSize: level, fontScale: percent}), on loading and whenever the person changes it. The page then
   sets text-size-adjust on the root to that percent: text (px sizes too) grows, boxes keep the screen's
   width and wrap, so nothing overflows; it replaces WeChat's own zoom of the page, never adds to it. */
(function () {
  "use strict";
  var root = document.documentElement;

  function percentOf(event) {
    var scale = parseFloat(event && event.fontScale);
    if (!(scale > 0)) return null;
    if (scale <= 4) scale *= 100;  /* a ratio (1.25) rather than a percent (125) */
    return Math.min(Math.max(Math.round(scale), 80), 200);
  }

  function follow(event) {
    var percent = percentOf(event);
    if (percent === null) return;
    root.style.webkitTextSizeAdjust = percent + "%";
    root.style.textSizeAdjust = percent + "%";
    root.dataset.wxFontScale = String(percent);
  }

  function listen() {
    if (listen.done || !window.WeixinJSBridge || typeof WeixinJSBridge.on !== "function") return;
    listen.done = true;
    WeixinJSBridge.on("menu:setfont", follow);
  }

  listen();
  document.addEventListener("WeixinJSBridgeReady", listen, false);
})();
