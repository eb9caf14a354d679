(function () {
  "use strict";
  var form = document.getElementById("login-form");
  var phone = document.getElementById("phone");
  var code = document.getElementById("code");
  var sendBtn = document.getElementById("send-code");
  var hint = document.getElementById("login-hint");
  var PHONE = /^1[3-9]\d{9}$/;

  /* Where to go after sign-in: only a path that resolves to this site (the rule of app.security.safe_next):
     no control characters (browsers drop a tab, so "/\t/evil" is "//evil"), no backslash, never "//". */
  function safeNext(next) {
    if (!next || next.charAt(0) !== "/" || /[\u0000-\u001f\u007f\\]/.test(next)) return "/";
    var url;
    try { url = new URL(next, location.origin); } catch (e) { return "/"; }
    var path = url.pathname + url.search + url.hash;
    if (url.origin !== location.origin || path.slice(0, 2) === "//") return "/";
    return path;
  }

  function countdown(seconds) {
    sendBtn.disabled = true;
    var left = seconds;
    sendBtn.textContent = left + "秒后重发";
    var timer = setInterval(function () {
      left -= 1;
      if (left <= 0) { clearInterval(timer); sendBtn.disabled = false; sendBtn.textContent = "获取验证码"; return; }
      sendBtn.textContent = left + "秒后重发";
    }, 1000);
  }

  sendBtn.addEventListener("click", function () {
    if (!PHONE.test(phone.value)) { hint.textContent = "请输入正确的11位手机号"; phone.focus(); return; }
    ejia.api("POST", "/auth/sms-code", { phone: phone.value }).then(function (data) {
      countdown(60);
      hint.textContent = data.debug_code ? "验证码已发送（测试环境验证码：" + data.debug_code + "）" : "验证码已发送，5分钟内有效";
      code.focus();
    }, function (p) { hint.textContent = ejia.problemText(p); });
  });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!PHONE.test(phone.value)) { hint.textContent = "请输入正确的11位手机号"; return; }
    if (!/^\d{6}$/.test(code.value)) { hint.textContent = "请输入6位验证码"; return; }
    ejia.api("POST", "/auth/login", { phone: phone.value, code: code.value }).then(function () {
      location.href = safeNext(form.dataset.next);
    }, function (p) { hint.textContent = ejia.problemText(p); });
  });
})();
