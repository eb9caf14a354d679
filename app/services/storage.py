"""Photos behind a storage interface: files on disk in development; an object store can implement it."""

import asyncio
import secrets
from pathlib import Path
from typing import Protocol

from app.config import get_settings
from app.errors import NotFound, ValidationFailed

MAX_PHOTO_BYTES = 5 * 1024 * 1024
# Decide the type from the bytes themselves, never from the name or the declared type.
_MAGIC = (
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"RIFF", "webp", "image/webp"),
)
MEDIA_TYPES = {ext: media for _, ext, media in _MAGIC}


def sniff_image(data: bytes) -> str:
    """The extension of a JPEG, PNG or WebP image; 422 for anything else or anything too big."""
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationFailed("照片不能超过 5MB", code="photo_too_large")
    for magic, ext, _media in _MAGIC:
        if data.startswith(magic) and (ext != "webp" or data[8:12] == b"WEBP"):
            return ext
    raise ValidationFailed("只能上传 JPG、PNG 或 WebP 格式的照片", code="photo_type_not_allowed")


class Storage(Protocol):
    async def save(self, data: bytes, *, folder: str) -> str:
        """Keep the bytes; return the key to read them back."""

    async def load(self, key: str) -> tuple[bytes, str]:
        """The bytes and media type kept under `key`."""


class LocalStorage:
    """Files under the upload directory (EJIA_UPLOAD_DIR)."""

    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise NotFound("文件不存在", code="file_not_found")
        return path

    async def save(self, data: bytes, *, folder: str) -> str:
        ext = sniff_image(data)
        key = f"{folder}/{secrets.token_urlsafe(16)}.{ext}"
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

        await asyncio.to_thread(write)
        return key

    async def load(self, key: str) -> tuple[bytes, str]:
        path = self._path(key)
        if not path.is_file():
            raise NotFound("文件不存在", code="file_not_found")
        data = await asyncio.to_thread(path.read_bytes)
        return data, MEDIA_TYPES.get(path.suffix.lstrip("."), "application/octet-stream")


def get_storage() -> Storage:
    """The configured storage (files on disk for now)."""
    return LocalStorage(get_settings().upload_dir)
