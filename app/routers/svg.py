"""QR codes as SVG responses, for the station and activity routers."""

from typing import Any

from fastapi import Response

from app.services import qr

SVG = "image/svg+xml"
# The OpenAPI description of a route that answers with a QR image.
SVG_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"content": {SVG: {}}, "description": "二维码图片"}}


async def qr_svg(content: str, *, live: bool = True) -> Response:
    """The QR code for `content` as SVG; a live (rotating) code is never cached."""
    headers = {"Cache-Control": "no-store"} if live else None
    return Response(await qr.svg(content), media_type=SVG, headers=headers)
