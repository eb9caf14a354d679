/* Red stations: sort by distance, sign up for shifts, the tablet's live QR screen, and the admin forms. */
(function () {
  "use strict";

  function locate(done) {
    if (!navigator.geolocation) { ejia.toast("当前浏览器无法获取位置"); return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      done(pos.coords.latitude, pos.coords.longitude, pos.coords.accuracy);
    }, function () { ejia.toast("未能获取位置，请检查定位权限"); }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  }

  /* List: the browser's GPS point is WGS-84; the server converts it (coord=wgs84) to the maps' GCJ-02. */
  var locateBtn = document.getElementById("locate");
  if (locateBtn) {
    var sortByDistance = function () {
      locate(function (lat, lng) {
        location.replace("/stations?near=" + lat.toFixed(6) + "," + lng.toFixed(6) + "&coord=wgs84");
      });
    };
    locateBtn.addEventListener("click", sortByDistance);
    /* Once the person has allowed location, nearest-first needs no tap. */
    if (navigator.permissions && navigator.permissions.query) {
      navigator.permissions.query({ name: "geolocation" }).then(function (st) {
        if (st.state === "granted") sortByDistance();
      }).catch(function () { /* not supported: the button stays */ });
    }
  }

  document.querySelectorAll("[data-shift-signup]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      btn.disabled = true;
      ejia.api("POST", "/shifts/" + btn.dataset.shiftSignup + "/signup").then(function () {
        ejia.toast("报名成功，值班开始和结束时请到站扫码");
        setTimeout(function () { location.reload(); }, 800);
      }, function (p) { btn.disabled = false; ejia.toast(ejia.problemText(p)); });
    });
  });

  /* The tablet screen: fetch the live code and count every few seconds; the code itself rotates every 30 s. */
  var screen = document.getElementById("screen");
  if (screen) {
    var qr = document.getElementById("qr"), shortCode = document.getElementById("short-code");
    var count = document.getElementById("count"), status = document.getElementById("status");
    var refresh = function () {
      fetch(screen.dataset.live, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      }).then(function (s) {
        if (shortCode.textContent !== s.short_code) { qr.innerHTML = s.svg; shortCode.textContent = s.short_code; }
        count.textContent = s.count;
        status.textContent = s.waiting || "二维码每 30 秒自动更新，截图无效";
      }).catch(function () { status.textContent = "网络中断，正在重试…"; });
    };
    setInterval(refresh, 5000);
    /* Keep the tablet awake while the code is shown (the lock drops when the page is hidden). */
    var awake = function () {
      if (navigator.wakeLock && !document.hidden) navigator.wakeLock.request("screen").catch(function () {});
    };
    awake();
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(); awake(); } });
  }

  document.querySelectorAll("[data-station-toggle]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var next = btn.dataset.status === "open" ? "closed" : "open";
      var asked = next === "closed"
        ? ejia.confirm("暂停开放后，居民将看到该驿站“暂停开放”，扫码签到也会暂停。确定吗？", { ok: "暂停开放", danger: true })
        : Promise.resolve(true);
      asked.then(function (yes) {
        if (!yes) return;
        ejia.busy(btn, true);
        ejia.api("PATCH", "/stations/" + btn.dataset.stationToggle, { status: next }).then(function () {
          location.reload();
        }, function (p) { ejia.busy(btn, false); ejia.toast(ejia.problemText(p)); });
      });
    });
  });

  /* Re-issuing a card revokes every copy printed before (a photo of the old one no longer works). */
  document.querySelectorAll("[data-card-reissue]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      ejia.confirm("重新制作后，旧的纸质码立即作废，需要打印张贴新码。确定吗？", { ok: "重新制作", danger: true }).then(function (yes) {
        if (!yes) return;
        ejia.busy(btn, true);
        ejia.api("POST", "/stations/" + btn.dataset.cardReissue + "/card/reissue").then(function () {
          ejia.toast("已作废旧码，请打印新的纸质码");
          setTimeout(function () { location.href = "/api/v1/stations/" + btn.dataset.cardReissue + "/card.svg"; }, 800);
        }, function (p) { ejia.busy(btn, false); ejia.toast(ejia.problemText(p)); });
      });
    });
  });

  var shiftForm = document.getElementById("shift-form");
  if (shiftForm) {
    shiftForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var f = shiftForm.elements;
      var body = { starts_at: new Date(f.starts_at.value).toISOString(), ends_at: new Date(f.ends_at.value).toISOString(),
                   capacity: parseInt(f.capacity.value, 10) };
      ejia.api("POST", "/stations/" + f.station_id.value + "/shifts", body).then(function () {
        if (shiftForm._clearDraft) shiftForm._clearDraft();
        ejia.toast("班次已添加");
      }, function (p) { ejia.toast(ejia.problemText(p)); });
    });
  }

  var stationForm = document.getElementById("station-form");
  if (stationForm) {
    document.getElementById("use-here").addEventListener("click", function () {
      locate(function (lat, lng) {
        var g = wgs84ToGcj02(lat, lng);
        stationForm.elements.lat.value = g[0].toFixed(6);
        stationForm.elements.lng.value = g[1].toFixed(6);
      });
    });
    stationForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var f = stationForm.elements;
      var services = Array.prototype.filter.call(stationForm.querySelectorAll("input[name=services]"),
        function (c) { return c.checked; }).map(function (c) { return c.value; });
      var body = { org_id: parseInt(f.org_id.value, 10), name: f.name.value.trim(), address: f.address.value.trim(),
                   lat: parseFloat(f.lat.value), lng: parseFloat(f.lng.value), open_hours: f.open_hours.value.trim(), phone: f.phone.value.trim(),
                   services: services };
      if (f.master_phone.value.trim()) body.master_phone = f.master_phone.value.trim();
      ejia.api("POST", "/stations", body).then(function (s) {
        if (stationForm._clearDraft) stationForm._clearDraft();
        location.href = "/stations/" + s.id;
      }, function (p) { ejia.toast(ejia.problemText(p)); });
    });
  }

  /* GPS (WGS-84) to the GCJ-02 datum Chinese maps use — the published transform. */
  function wgs84ToGcj02(lat, lng) {
    if (lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271) return [lat, lng];
    var a = 6378245.0, ee = 0.00669342162296594323, PI = Math.PI, x = lng - 105.0, y = lat - 35.0;
    var dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    dLat += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    dLat += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    dLat += (160.0 * Math.sin(y / 12.0 * PI) + 320 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    var dLng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    dLng += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    dLng += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    dLng += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    var rad = lat / 180.0 * PI, magic = 1 - ee * Math.sin(rad) * Math.sin(rad), sq = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((a * (1 - ee)) / (magic * sq) * PI);
    dLng = (dLng * 180.0) / (a / sq * Math.cos(rad) * PI);
    return [lat + dLat, lng + dLng];
  }
})();

/* The stations map (only where a tile source is configured; the list below always works). */
(function () {
  "use strict";
  var box = document.getElementById("station-map");
  if (!box || !window.L) return;
  var points = JSON.parse(document.getElementById("station-points").textContent);
  // The marker images' folder (served under their plain names too, beside the hashed ones).
  L.Icon.Default.imagePath = (box.dataset.icons || "").replace(/[^/]*$/, "");
  var map = L.map(box, { zoomControl: true, attributionControl: !!box.dataset.attribution });
  L.tileLayer(box.dataset.tiles, { maxZoom: 18, attribution: box.dataset.attribution || "" }).addTo(map);
  var bounds = [];
  points.forEach(function (p) {
    var link = document.createElement("a");
    link.href = "/stations/" + p.id;
    link.textContent = p.name;
    L.marker([p.lat, p.lng], { title: p.name, alt: p.name }).addTo(map).bindPopup(link);
    bounds.push([p.lat, p.lng]);
  });
  if (bounds.length === 1) map.setView(bounds[0], 16);
  else map.fitBounds(bounds, { padding: [24, 24] });
})();
