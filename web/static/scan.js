/* The scan page: camera scanning with jsQR, WeChat's scanner inside WeChat, or a typed code; a clear confirmation. */
(function () {
  "use strict";
  var root = document.getElementById("scan");
  var result = document.getElementById("result");
  var video = document.getElementById("camera"), canvas = document.getElementById("frame");
  var startBtn = document.getElementById("camera-start"), stopBtn = document.getElementById("camera-stop");
  var form = document.getElementById("code-form");
  var inWeChat = root.dataset.wechat === "1";
  var busy = false, stream = null, timer = null, wxReady = false;

  var TITLES = { visit: "到站签到成功", duty_start: "值班已开始", duty_end: "值班已结束", activity: "活动签到成功" };

  function show(ok, title, desc) {
    result.hidden = false;
    result.className = "app-result " + (ok ? "app-result--ok" : "app-result--err");
    document.getElementById("result-icon").textContent = ok ? "✔" : "✖";
    document.getElementById("result-title").textContent = title;
    document.getElementById("result-desc").textContent = desc;
    result.scrollIntoView({ block: "start" });
  }

  /* A location for printed cards: WeChat reports GCJ-02, a browser's GPS is WGS-84 (the server converts it). */
  function where() {
    return new Promise(function (resolve, reject) {
      if (wxReady && window.wx) {
        wx.getLocation({ type: "gcj02", success: function (r) {
          resolve({ lat: r.latitude, lng: r.longitude, accuracy: r.accuracy || null, coord_type: "gcj02" });
        }, fail: reject, cancel: reject });
        return;
      }
      if (!navigator.geolocation) { reject(); return; }
      navigator.geolocation.getCurrentPosition(function (p) {
        resolve({ lat: p.coords.latitude, lng: p.coords.longitude, accuracy: p.coords.accuracy, coord_type: "wgs84" });
      }, reject, { enableHighAccuracy: true, timeout: 10000, maximumAge: 0 });
    });
  }

  function submit(text, loc) {
    if (busy || !text) return;
    /* A member's service card (扫码为你服务) opens their page rather than signing in. */
    var card = /\/m\/(\d+-[A-Za-z0-9_-]+)/.exec(text);
    if (card) { location.href = "/m/" + card[1]; return; }
    busy = true;
    var body = Object.assign({ token: text.trim() }, loc || {});
    ejia.api("POST", "/checkins", body).then(function (c) {
      busy = false;
      show(true, c.duplicate ? "您已签到过" : TITLES[c.kind] || "签到成功", c.message);
      if (!c.duplicate) addRecent(c);
      if (history.replaceState && location.search) history.replaceState(null, "", "/scan");
    }, function (p) {
      busy = false;
      if (p.code === "location_required" && !loc) {
        show(true, "正在获取位置…", "纸质码签到需要确认您在驿站附近");
        where().then(function (l) { submit(text, l); }, function () {
          show(false, "无法获取位置", "请允许获取位置后重试，或扫描驿站屏幕上的动态码");
        });
        return;
      }
      show(false, "签到未成功", ejia.problemText(p));
    });
  }

  /* The new check-in goes to the top of 最近签到 at once (the list the page came with is older). */
  function addRecent(c) {
    var list = document.getElementById("recent"), empty = document.getElementById("recent-empty");
    var cell = document.createElement("div");
    cell.className = "weui-cell";
    var bd = document.createElement("div"), ft = document.createElement("div");
    bd.className = "weui-cell__bd";
    bd.textContent = c.place || "签到";
    ft.className = "weui-cell__ft";
    ft.textContent = "刚刚";
    cell.appendChild(bd);
    cell.appendChild(ft);
    list.insertBefore(cell, list.firstChild);
    list.hidden = false;
    if (empty) empty.parentNode.removeChild(empty);
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    submit(form.elements.code.value);
  });

  function stopCamera() {
    if (timer) { clearInterval(timer); timer = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    video.hidden = true; stopBtn.hidden = true; startBtn.hidden = false;
  }

  /* the content-hashed URL the page names */
  var jsqrUrl = (document.currentScript && document.currentScript.dataset.jsqr) || "/static/vendor/jsqr/jsQR.js";

  function loadJsQR() {
    if (window.jsQR) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = jsqrUrl;
      s.onload = resolve; s.onerror = reject;
      document.head.appendChild(s);
    });
  }

  function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      show(false, "无法打开摄像头", "请使用微信“扫一扫”或在下方输入签到码");
      return;
    }
    loadJsQR().then(function () {
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    }).then(function (s) {
      stream = s; video.srcObject = s; video.hidden = false; stopBtn.hidden = false; startBtn.hidden = true;
      video.play();
      var ctx = canvas.getContext("2d", { willReadFrequently: true });
      timer = setInterval(function () {
        if (video.readyState < 2 || busy) return;
        var w = video.videoWidth, h = video.videoHeight, scale = Math.min(1, 640 / Math.max(w, h));
        canvas.width = Math.round(w * scale); canvas.height = Math.round(h * scale);
        ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
        var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
        var code = window.jsQR(img.data, img.width, img.height, { inversionAttempts: "dontInvert" });
        if (code && code.data) { stopCamera(); submit(code.data); }
      }, 200);
    }).catch(function () {
      stopCamera();
      show(false, "无法打开摄像头", "请允许使用摄像头，或在下方输入签到码");
    });
  }

  startBtn.addEventListener("click", startCamera);
  stopBtn.addEventListener("click", stopCamera);
  window.addEventListener("pagehide", stopCamera);

  /* Inside WeChat only: sign the JS-SDK config on the server, then offer WeChat's own scanner. */
  var wxBtn = document.getElementById("wx-scan");
  if (inWeChat && window.wx && wxBtn) {
    fetch("/scan/wx-config?url=" + encodeURIComponent(location.href.split("#")[0]), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (cfg) {
        if (!cfg || !cfg.appId) return;
        wx.config({ debug: false, appId: cfg.appId, timestamp: cfg.timestamp, nonceStr: cfg.nonceStr,
                    signature: cfg.signature, jsApiList: ["scanQRCode", "getLocation"] });
        wx.ready(function () { wxReady = true; wxBtn.hidden = false; });
      }).catch(function () { /* the camera and the typed code still work */ });
    wxBtn.addEventListener("click", function () {
      wx.scanQRCode({ needResult: 1, scanType: ["qrCode"], success: function (res) { submit(res.resultStr); } });
    });
  }

  if (root.dataset.token) submit(root.dataset.token);
})();
