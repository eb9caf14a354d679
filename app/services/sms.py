"""Sending SMS codes: a console backend for development and tests, a provider behind the same interface."""

import logging
from typing import Protocol

from app.config import Settings
from app.errors import AppError
from app.security import mask_phone

log = logging.getLogger("ejia.sms")


class SmsSender(Protocol):
    shows_code: bool

    async def send_code(self, phone: str, code: str) -> None: ...


class ConsoleSms:
    """Sends nothing; the API hands the code back as `debug_code` (dev and test only)."""

    shows_code = True

    async def send_code(self, phone: str, code: str) -> None:
        log.info("sms code issued to %s (console backend)", mask_phone(phone))


class SmsUnavailable(AppError):
    status, code, title = 503, "sms_unavailable", "短信服务暂不可用"


class UnconfiguredSms:
    """A real provider is selected but not wired here: refuse rather than pretend to send."""

    shows_code = False

    async def send_code(self, phone: str, code: str) -> None:
        log.error("EJIA_SMS_BACKEND=%s has no provider configured; no code sent", "aliyun")
        raise SmsUnavailable("短信服务暂不可用，请稍后再试或联系社区工作人员")


def get_sender(settings: Settings) -> SmsSender:
    """The configured sender; the console backend is never used in production."""
    if settings.sms_backend == "console" and settings.env != "prod":
        return ConsoleSms()
    return UnconfiguredSms()
