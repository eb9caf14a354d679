"""Sending SMS codes: a console backend for development and tests, a provider behind the same interface."""

import logging
from typing import Protocol

from app.config import Settings
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


class UnconfiguredSms:
    """A real provider is selected but not wired here: fail loudly rather than pretend to send."""

    shows_code = False

    async def send_code(self, phone: str, code: str) -> None:
        raise RuntimeError("SMS provider is not configured")


def get_sender(settings: Settings) -> SmsSender:
    if settings.sms_backend == "console" and settings.env != "prod":
        return ConsoleSms()
    return UnconfiguredSms()
