"""Sending SMS: a console backend for development and tests, Aliyun SMS (dysmsapi SendSms) in production.

Two messages: a sign-in code, and a reminder that something waits in the app (for people whose
WeChat is not bound, so a subscribe message cannot reach them).
"""

import base64
import hashlib
import hmac
import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import quote

import httpx

from app.config import Settings
from app.errors import AppError
from app.security import mask_phone

log = logging.getLogger("ejia.sms")


class SmsSender(Protocol):
    shows_code: bool

    async def send_code(self, phone: str, code: str) -> None: ...

    async def send_notice(self, phone: str, title: str) -> None: ...


class ConsoleSms:
    """Sends nothing; the API hands the code back as `debug_code` (dev and test only)."""

    shows_code = True

    async def send_code(self, phone: str, code: str) -> None:
        log.info("sms code issued to %s (console backend)", mask_phone(phone))

    async def send_notice(self, phone: str, title: str) -> None:
        log.info("sms reminder to %s (console backend): %s", mask_phone(phone), title)


class SmsUnavailable(AppError):
    status, code, title = 503, "sms_unavailable", "短信服务暂不可用"


class UnconfiguredSms:
    """A real provider is selected but not configured: refuse rather than pretend to send."""

    shows_code = False

    async def send_code(self, phone: str, code: str) -> None:
        log.error("EJIA_SMS_BACKEND=aliyun without EJIA_ALIYUN_* settings; no code sent")
        raise SmsUnavailable("短信服务暂不可用，请稍后再试或联系社区工作人员")

    async def send_notice(self, phone: str, title: str) -> None:
        raise SmsUnavailable("短信服务未配置")


def _pct(value: str) -> str:
    """Aliyun's percent-encoding (RFC 3986: only A-Z a-z 0-9 - _ . ~ stay as they are)."""
    return quote(value, safe="-_.~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """The RPC signature (SignatureVersion 1.0, HMAC-SHA1) over the sorted, encoded parameters."""
    canonical = "&".join(f"{_pct(k)}={_pct(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{_pct('/')}&{_pct(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms:
    """Aliyun SMS: a signed GET of SendSms; anything but Code=OK is an error."""

    shows_code = False

    def __init__(self, settings: Settings, http: httpx.AsyncClient | None = None):
        self.settings = settings
        self.http = http

    def signed_params(self, phone: str, template: str, values: dict[str, str]) -> dict[str, str]:
        s = self.settings
        params = {
            "AccessKeyId": s.aliyun_access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "RegionId": "cn-hangzhou",
            "SignName": s.aliyun_sms_sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": template,
            "TemplateParam": json.dumps(values, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        params["Signature"] = aliyun_signature(params, s.aliyun_access_key_secret)
        return params

    async def _send(self, phone: str, template: str, values: dict[str, str]) -> None:
        params = self.signed_params(phone, template, values)
        url = self.settings.aliyun_sms_endpoint.rstrip("/") + "/"
        try:
            if self.http is not None:
                resp = await self.http.get(url, params=params, timeout=10)
            else:
                async with httpx.AsyncClient(timeout=10) as http:
                    resp = await http.get(url, params=params)
            data = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SmsUnavailable("短信服务暂不可用，请稍后再试") from exc
        if data.get("Code") != "OK":
            log.warning(
                "aliyun sms to %s refused: %s %s", mask_phone(phone), data.get("Code"), data.get("Message")
            )
            raise SmsUnavailable("短信发送失败，请稍后再试", extra={"provider_code": str(data.get("Code"))})

    async def send_code(self, phone: str, code: str) -> None:
        await self._send(phone, self.settings.aliyun_sms_code_template, {"code": code})

    async def send_notice(self, phone: str, title: str) -> None:
        await self._send(phone, self.settings.aliyun_sms_notice_template, {"title": title[:20]})


def get_sender(settings: Settings, http: httpx.AsyncClient | None = None) -> SmsSender:
    """The configured sender; the console backend is never used in production."""
    if settings.sms_backend == "console" and settings.env != "prod":
        return ConsoleSms()
    if (
        settings.sms_backend == "aliyun"
        and settings.aliyun_access_key_id
        and settings.aliyun_access_key_secret
    ):
        return AliyunSms(settings, http)
    return UnconfiguredSms()
