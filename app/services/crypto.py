"""Encrypting sensitive fields at rest (PIPL): Fernet with a key derived from the secret key via HKDF."""

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.config import get_settings


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"ejia-field-encryption", info=b"ejia sensitive fields v1"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(value: str | None) -> str | None:
    """A Fernet token for `value` (None and empty stay None)."""
    if not value:
        return None
    return _fernet(get_settings().secret_key).encrypt(value.encode()).decode()


def decrypt(token: str | None) -> str | None:
    """The plain value of a token made by `encrypt`; None if absent or unreadable."""
    if not token:
        return None
    try:
        return _fernet(get_settings().secret_key).decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def mask_name(name: str | None) -> str | None:
    """张小明 → 张**."""
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def mask_text(text: str | None, keep: int = 2) -> str | None:
    """实验小学 → 实验**."""
    if not text:
        return text
    return text[:keep] + "*" * max(2, len(text) - keep)
