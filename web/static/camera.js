/* ejia.qrCamera: read QR codes from the phone's camera with jsQR (loaded on first use). One piece
   for the scan page and the organiser's ticket check.
   var cam = ejia.qrCamera(videoElement, { jsqr: url, onCode: fn(text), onError: fn(), onState: fn(on) });
   cam.start(); cam.stop(); */
(function () {
  "use strict";

  function loadJsQR(url) {
    if (window.jsQR) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = url;
      s.onload = resolve; s.onerror = reject;
      document.head.appendChild(s);
    });
  }

  function qrCamera(video, opts) {
    var canvas = document.createElement("canvas");
    var stream = null, timer = null;
    var state = opts.onState || function () {};

    function stop() {
      if (timer) { clearInterval(timer); timer = null; }
      if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
      video.hidden = true;
      state(false);
    }

    function start() {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { opts.onError(); return; }
      loadJsQR(opts.jsqr).then(function () {
        return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      }).then(function (s) {
        stream = s; video.srcObject = s; video.hidden = false;
        state(true);
        video.play();
        var ctx = canvas.getContext("2d", { willReadFrequently: true });
        timer = setInterval(function () {
          if (video.readyState < 2) return;
          var w = video.videoWidth, h = video.videoHeight, scale = Math.min(1, 640 / Math.max(w, h));
          canvas.width = Math.round(w * scale); canvas.height = Math.round(h * scale);
          ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
          var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
          var code = window.jsQR(img.data, img.width, img.height, { inversionAttempts: "dontInvert" });
          if (code && code.data) { stop(); opts.onCode(code.data); }
        }, 200);
      }).catch(function () { stop(); opts.onError(); });
    }

    window.addEventListener("pagehide", stop);
    return { start: start, stop: stop };
  }

  window.ejia = window.ejia || {};
  window.ejia.qrCamera = qrCamera;
})();
