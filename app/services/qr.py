"""Signed rotating codes for stations and activities, printed station cards and personal tickets.

A token is `v1.<kind>.<object id>.<n>.<signature>`:

- `s` a station's live code and `a` an activity's live sign-in code: `n` is the 30-second window
  it was issued in; the current and the previous window are accepted (one window ahead too, for
  clock skew between app processes), anything older is `token_expired`;
- `c` a station's printed card: `n` is the card's issue (re-issuing revokes older cards), no window; the scan must carry a location near the station;
- `t` a person's ticket for an activity: `n` is the person's id; the organiser scans it.

The signature is HMAC-SHA256 (128 bits kept) under a key derived from the secret for codes alone
(access tokens and SMS codes use other keys), compared in constant time, so a
photo of a live code is worthless a minute later and no code can be made up or altered.
A live code also has a short form to type, `S12-123456`: six digits derived from the same HMAC.
"""

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

from segno import make_qr
from starlette.concurrency import run_in_threadpool

from app.config import get_settings
from app.errors import BadRequest

WINDOW_SECONDS = 30
LIVE_KINDS = ("s", "a")
KINDS = ("s", "a", "c", "t")
_SHORT = re.compile(r"^([SAsa])(\d{1,10})-?(\d{6})$")
_EXPIRED_LOOKBACK = 240  # windows (2 hours) in which a short code is told apart as expired


class InvalidToken(BadRequest):
    code, title = "invalid_token", "二维码无效"


class TokenExpired(BadRequest):
    code, title = "token_expired", "二维码已过期"


@dataclass(frozen=True)
class Code:
    """What a verified code names."""

    kind: str  # s, a, c, t
    object_id: int
    n: int  # the window for live codes, 0 for cards, the person's id for tickets

    @property
    def key(self) -> str:
        """Names this code and its window (for one row per person and window)."""
        return f"{self.kind}:{self.object_id}:{self.n}"


def window_of(at: datetime) -> int:
    return int(at.timestamp()) // WINDOW_SECONDS


def window_end(window: int) -> datetime:
    return datetime.fromtimestamp((window + 1) * WINDOW_SECONDS, UTC)


def _key() -> bytes:
    """A key of its own for codes, derived from the secret: never the key of tokens or SMS codes."""
    return _derive(get_settings().secret_key)


@lru_cache(maxsize=4)
def _derive(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"ejia/qr-codes/key/v1", hashlib.sha256).digest()


def _sign(kind: str, object_id: int, n: int) -> str:
    mac = hmac.new(_key(), f"ejia-qr|v1|{kind}|{object_id}|{n}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:16]).decode().rstrip("=")


def _digits(kind: str, object_id: int, window: int) -> str:
    mac = hmac.new(_key(), f"ejia-short|{kind}|{object_id}|{window}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(mac[:4], 'big') % 1_000_000:06d}"


def make_token(kind: str, object_id: int, n: int) -> str:
    """A signed token (the low-level maker; use live_token, card_token or ticket_token)."""
    return f"v1.{kind}.{object_id}.{n}.{_sign(kind, object_id, n)}"


def live_token(kind: str, object_id: int, *, at: datetime) -> tuple[str, datetime, str]:
    """The live code of a station (`s`) or activity (`a`) now: (token, expires_at, short code)."""
    window = window_of(at)
    # Accepted until the next window ends too (the previous window is still honoured).
    expires_at = window_end(window) + timedelta(seconds=WINDOW_SECONDS)
    return (
        make_token(kind, object_id, window),
        expires_at,
        f"{kind.upper()}{object_id}-{_digits(kind, object_id, window)}",
    )


def card_token(station_id: int, version: int = 0) -> str:
    """A station's printed card of this issue: no window, so every scan of it must prove where the phone
    is, and it records a visit only (a duty needs the live code); a re-issue bumps `version`."""
    return make_token("c", station_id, version)


def ticket_token(activity_id: int, user_id: int) -> str:
    """A person's ticket for an activity, shown on their phone for the organiser to scan."""
    return make_token("t", activity_id, user_id)


def scan_url(token: str) -> str:
    """What the QR code holds: the scan page with the token, so any scanner app lands on ejia."""
    return f"{get_settings().public_base_url.rstrip('/')}/scan?t={token}"


def extract(text: str) -> str:
    """The token in what was scanned or typed: a bare token, a scan URL, or a short code."""
    text = text.strip()
    if "://" in text or text.startswith("/scan"):
        found = parse_qs(urlsplit(text).query).get("t")
        return found[0].strip() if found else ""
    return text


def is_short(text: str) -> bool:
    """Whether this is a typed short code (six digits: worth guarding against guessing)."""
    return bool(_SHORT.match(extract(text)))


def read(text: str, *, at: datetime) -> Code:
    """Verify a scanned or typed code; InvalidToken if forged or altered, TokenExpired if too old."""
    token = extract(text)
    short = _SHORT.match(token)
    if short:
        return _read_short(short.group(1).lower(), int(short.group(2)), short.group(3), at=at)
    parts = token.split(".")
    if len(parts) != 5 or parts[0] != "v1" or parts[1] not in KINDS:
        raise InvalidToken("无法识别该二维码，请扫描驿站或活动的签到码")
    kind = parts[1]
    try:
        object_id, n = int(parts[2]), int(parts[3])
    except ValueError:
        raise InvalidToken("无法识别该二维码，请扫描驿站或活动的签到码") from None
    if str(object_id) != parts[2] or str(n) != parts[3]:
        raise InvalidToken("二维码已被改动，无法使用")
    if not hmac.compare_digest(parts[4].encode(), _sign(kind, object_id, n).encode()):
        raise InvalidToken("二维码已被改动或不是本平台的码")
    if kind in LIVE_KINDS:
        current = window_of(at)
        if n > current + 1:
            raise InvalidToken("二维码时间不对，请重新扫描现场屏幕上的码")
        if n < current - 1:
            raise TokenExpired("二维码已过期，请扫描现场屏幕上最新的码")
    return Code(kind, object_id, n)


def _read_short(kind: str, object_id: int, digits: str, *, at: datetime) -> Code:
    current = window_of(at)
    for window in (current, current - 1, current + 1):
        if hmac.compare_digest(digits, _digits(kind, object_id, window)):
            return Code(kind, object_id, window)
    for window in range(current - 2, current - _EXPIRED_LOOKBACK, -1):
        if hmac.compare_digest(digits, _digits(kind, object_id, window)):
            raise TokenExpired("签到码已过期，请输入现场屏幕上最新的码")
    raise InvalidToken("签到码不正确，请核对后重新输入")


def _svg(content: str) -> str:
    svg = make_qr(content, error="m").svg_inline(scale=8, border=2, dark="#111", light="#fff")
    # With its namespace the same markup is also a file of its own: an <img> source, a download, a print.
    return svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)


async def svg(content: str) -> str:
    """The QR code for `content` as inline SVG (segno, off the event loop)."""
    return await run_in_threadpool(_svg, content)
