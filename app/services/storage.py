"""Photos behind a storage interface: files on disk in development; an object store can implement it.

Every photo is decoded and re-encoded here before it is kept, whichever route it came by: what is
stored is a fresh JPEG of at most MAX_SIDE pixels a side, with no EXIF (no GPS, no camera, no time),
and it is served with the media type we chose, never the one the uploader declared.
"""

import asyncio
import io
import secrets
import warnings
from pathlib import Path
from typing import Protocol

from PIL import Image, ImageOps, UnidentifiedImageError

from app.config import get_settings
from app.errors import NotFound, ValidationFailed

MAX_SIDE = 2048  # pixels: plenty for a phone screen, and a kept photo stays a few hundred KB
MAX_PIXELS = 50_000_000  # decoded size of what we accept to open at all (a small file can claim a huge image)
JPEG_QUALITY = 85
# Decide the type from the bytes themselves, never from the name or the declared type.
_MAGIC = (
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"RIFF", "webp", "image/webp"),
)
_FORMATS = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}
MEDIA_TYPES = {ext: media for _, ext, media in _MAGIC}


def max_photo_bytes() -> int:
    """The largest photo accepted (EJIA_MAX_PHOTO_BYTES, 5 MB); the body limit allows one per request."""
    return get_settings().max_photo_bytes


def sniff_image(data: bytes) -> str:
    """The extension of a JPEG, PNG or WebP image; 422 for anything else or anything too big."""
    if len(data) > max_photo_bytes():
        raise ValidationFailed(f"照片不能超过 {max_photo_bytes() // (1024 * 1024)}MB", code="photo_too_large")
    for magic, ext, _media in _MAGIC:
        if data.startswith(magic) and (ext != "webp" or data[8:12] == b"WEBP"):
            return ext
    raise ValidationFailed("只能上传 JPG、PNG 或 WebP 格式的照片", code="photo_type_not_allowed")


def reencode_photo(data: bytes) -> bytes:
    """A clean JPEG of the photo: upright, at most MAX_SIDE a side, without any metadata; 422 otherwise."""
    ext = sniff_image(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=[_FORMATS[ext]])
        if img.width * img.height > MAX_PIXELS:
            raise Image.DecompressionBombError("too many pixels")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationFailed("照片尺寸过大，请缩小后再上传", code="photo_too_large") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationFailed("照片已损坏或无法识别，请换一张", code="photo_unreadable") from exc
    try:
        with img:
            img.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at a reduced scale straight away
            upright = ImageOps.exif_transpose(img)
            upright.thumbnail((MAX_SIDE, MAX_SIDE))
            if upright.mode in ("RGBA", "LA", "P", "PA"):
                rgba = upright.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))
                flat.paste(rgba, mask=rgba.getchannel("A"))
                upright = flat
            out = io.BytesIO()
            upright.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    except (OSError, SyntaxError, ValueError) as exc:  # a truncated or corrupt body behind a valid header
        raise ValidationFailed("照片已损坏或无法识别，请换一张", code="photo_unreadable") from exc
    return out.getvalue()


class Storage(Protocol):
    async def save(self, data: bytes, *, folder: str) -> str:
        """Re-encode and keep the photo; return the key to read it back."""

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
        clean = await asyncio.to_thread(reencode_photo, data)
        key = f"{folder}/{secrets.token_urlsafe(16)}.jpg"
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(clean)

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
