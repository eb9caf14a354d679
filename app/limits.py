"""Request bodies have a size limit, enforced before authentication, parsing or any disk write."""

import json

from app.errors import PayloadTooLarge

# Multipart bodies carry one photo each: the photo limit plus room for the part headers and boundary.
MULTIPART_OVERHEAD = 64 * 1024


class _Over(Exception):
    """The body passed its limit while the app was reading it."""


class BodySizeLimitMiddleware:
    """Plain ASGI: 413 problem+json for a body over its limit, judged from Content-Length when one is
    sent and by counting the bytes as they stream in otherwise (a chunked body, or a lying header).

    JSON and forms may be `max_body_bytes`; multipart uploads `max_photo_bytes` plus the multipart
    framing. Nothing downstream sees more than the limit, so a 1 GB upload never reaches a temporary
    file and four 300 MB JSON bodies never reach memory.
    """

    def __init__(self, app, *, max_body_bytes: int, max_photo_bytes: int):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_photo_bytes + MULTIPART_OVERHEAD

    def limit_for(self, headers: list[tuple[bytes, bytes]]) -> tuple[int, int | None]:
        """(the limit for this request's content type, its declared Content-Length if any)."""
        content_type, length = b"", None
        for name, value in headers:
            if name == b"content-type":
                content_type = value.split(b";", 1)[0].strip().lower()
            elif name == b"content-length" and value.strip().isdigit():
                length = int(value)
        limit = self.max_upload_bytes if content_type == b"multipart/form-data" else self.max_body_bytes
        return limit, length

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit, length = self.limit_for(scope["headers"])
        if length is not None and length > limit:
            return await self.refuse(scope, send, limit)

        received = 0
        over = started = False

        async def counted_receive():
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    raise _Over
            return message

        async def guarded_send(message):
            nonlocal started
            if over:  # whatever the app made of the cut-off body is replaced by the 413 below
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not over:
                raise
        if over and not started:
            await self.refuse(scope, send, limit)

    @staticmethod
    async def refuse(scope, send, limit: int) -> None:
        error = PayloadTooLarge(
            f"提交的内容太大（上限 {limit // 1024} KB），请压缩照片或删减内容后再试",
            extra={"limit_bytes": limit},
        )
        body = json.dumps(error.problem(instance=scope.get("path")), ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    # The rest of the body was never read: this connection cannot be reused.
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
