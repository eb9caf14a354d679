"""Photos in and out of the API, for the wish and event routers: one upload path, one response."""

from typing import Annotated, Any

from fastapi import Depends, Response, UploadFile

from app.errors import ValidationFailed
from app.services.storage import max_photo_bytes

# The OpenAPI description of a route that answers with a photo.
PHOTO_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}
}


async def read_photo(photo: UploadFile) -> bytes:
    """The uploaded photo's bytes (multipart field `photo`); one byte past the limit is read so the
    storage can refuse an oversized file. Every photo upload comes through here."""
    data = await photo.read(max_photo_bytes() + 1)
    if not data:
        raise ValidationFailed("请选择照片", code="photo_required")
    return data


UploadedPhoto = Annotated[bytes, Depends(read_photo)]


def photo_response(data: bytes, media_type: str) -> Response:
    """A stored photo, cached privately for an hour (it is only for people who may see it)."""
    return Response(content=data, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"})
