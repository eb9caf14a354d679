"""Access tokens, code hashing, session cookies and phone masking."""

import hashlib
import hmac
import logging
import re
import secrets
from urllib.parse import urljoin, urlsplit, urlunsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.config import Settings

COOKIE_NAME = "ejia_session"


def _serializer(settings: Settings, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=salt)


def issue_access_token(settings: Settings, user_id: int, version: int = 0) -> str:
    """A signed, timestamped token naming the user and their token version (users.token_version)."""
    return _serializer(settings, "access").dumps({"uid": user_id, "v": version})


def read_access_token(settings: Settings, token: str) -> tuple[int, int] | None:
    """(user id, token version) of a valid, unexpired token, else None. Whether that version is
    still the person's current one is for the caller to check against the user row."""
    try:
        data = _serializer(settings, "access").loads(token, max_age=settings.access_token_days * 86400)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict):
        return None
    uid, version = data.get("uid"), data.get("v", 0)  # tokens from before versions name version 0
    if type(uid) is not int or type(version) is not int:
        return None
    return uid, version


def sign_payload(settings: Settings, salt: str, payload: dict) -> str:
    """A signed, timestamped blob (OAuth state, pending WeChat bindings)."""
    return _serializer(settings, salt).dumps(payload)


def read_payload(settings: Settings, salt: str, blob: str, max_age: int) -> dict | None:
    try:
        data = _serializer(settings, salt).loads(blob, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    return data if isinstance(data, dict) else None


def new_otp() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def hash_otp(settings: Settings, phone: str, code: str) -> str:
    """Codes are kept only as a keyed hash bound to the phone."""
    return hmac.new(settings.secret_key.encode(), f"otp:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def mask_phone(phone: str | None) -> str | None:
    """138****0000."""
    if not phone:
        return phone
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else "****"


_OUR_ORIGIN = "http://ejia.invalid"


def safe_next(next_url: str | None) -> str:
    """Where to send a person after sign-in: only a path that resolves to our own site, else "/".

    The path is resolved the way a browser would against our origin and must stay on it; control
    characters (a browser silently drops tabs and newlines: `/\t/evil.example` is `//evil.example`),
    backslashes (a browser reads `\\` as `/`) and a path that would start with `//` are refused.
    The same rule is in web/static/login.js.
    """
    if not next_url or not next_url.startswith("/") or "\\" in next_url:
        return "/"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in next_url):
        return "/"
    resolved = urlsplit(urljoin(_OUR_ORIGIN + "/", next_url))
    if f"{resolved.scheme}://{resolved.netloc}" != _OUR_ORIGIN:
        return "/"
    path = urlunsplit(("", "", resolved.path, resolved.query, resolved.fragment))
    if not path.startswith("/") or path.startswith("//"):
        return "/"
    return path


# Query parameters that may carry a location (near=lat,lng), a scanned code, an OAuth code/state or
# a phone: their values never reach the access log.
_SENSITIVE_QUERY = re.compile(r"(?i)(?<=[?&])(near|t|token|code|state|phone|url|next)=[^&\s]*")


def redact_query(path: str) -> str:
    """The request target with the values of sensitive query parameters replaced by `***`."""
    return _SENSITIVE_QUERY.sub(lambda m: f"{m.group(1)}=***", path) if "?" in path else path


class RedactAccessLog(logging.Filter):
    """Applied to uvicorn's access logger: a person's location or codes are not written to logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True


def install_access_log_redaction() -> None:
    """Add the redacting filter to uvicorn's access logger once per process."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactAccessLog) for f in access.filters):
        access.addFilter(RedactAccessLog())
