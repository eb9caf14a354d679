/* The scan page: camera scanning with jsQR, WeChat's scanner inside WeChat, or a typed code; a clear confirmation. */
(function () {
  "use strict";
  var root = document.getElementById("scan");
  var result = document.getElementById("result");
  var video = document.getElementById("camera");
  var startBtn = document.getElementById("camera-start"), stopBtn = document.getElementById("camera-stop");
  var form = document.getElementById("code-form");
  var inWeChat = root.dataset.wechat === "1";
  var busy = false, wxReady = false;

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

  var camera = ejia.qrCamera(video, {
    jsqr: (document.currentScript && document.currentScript.dataset.jsqr) || "/static/vendor/jsqr/jsQR.js",
    onCode: function (text) { submit(text); },
    onError: function () { show(false, "无法打开摄像头", "请允许使用摄像头，或在下方输入签到码"); },
    onState: function (on) { stopBtn.hidden = !on; startBtn.hidden = on; }
  });
  startBtn.addEventListener("click", camera.start);
  stopBtn.addEventListener("click", camera.stop);

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
