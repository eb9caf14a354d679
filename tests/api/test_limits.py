"""Request bodies over the limits are refused with 413 before authentication, parsing or disk."""

import json

import pytest

from app.config import get_settings

MB = 1024 * 1024


async def _chunks(total: int, piece: int = 64 * 1024):
    sent = 0
    while sent < total:
        size = min(piece, total - sent)
        sent += size
        yield b" " * size


def _assert_413(resp, limit: int):
    assert resp.status_code == 413
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert body["code"] == "payload_too_large"
    assert body["limit_bytes"] == limit


async def test_json_over_the_declared_limit_is_413_before_authentication(client):
    body = json.dumps({"to_phone": "13800000000", "minutes": 10, "note": "x" * MB}).encode()
    resp = await client.post(
        "/api/v1/timebank/transfers", content=body, headers={"content-type": "application/json"}
    )
    _assert_413(resp, get_settings().max_body_bytes)  # anonymous, yet not 401: the body was never read


async def test_json_streamed_without_length_is_cut_off_at_the_limit(client):
    resp = await client.post(
        "/api/v1/timebank/transfers",
        content=_chunks(50 * MB),
        headers={"content-type": "application/json"},
    )
    _assert_413(resp, get_settings().max_body_bytes)


async def test_a_lying_content_length_is_caught_while_streaming(app):
    from app.limits import BodySizeLimitMiddleware

    reached = []

    async def inner(scope, receive, send):
        while True:
            message = await receive()
            reached.append(len(message.get("body", b"")))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    middleware = BodySizeLimitMiddleware(inner, max_body_bytes=1000, max_photo_bytes=5000)
    sent = []
    chunks = [{"type": "http.request", "body": b"x" * 600, "more_body": True}] * 3

    async def receive():
        return chunks.pop(0)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "path": "/api/v1/x", "headers": [(b"content-length", b"10")]}
    await middleware(scope, receive, send)
    assert sent[0]["status"] == 413
    assert sum(reached) == 600  # the app never saw a byte past the limit
    assert json.loads(sent[1]["body"])["code"] == "payload_too_large"


async def test_body_just_under_the_limit_reaches_the_app(client):
    body = json.dumps({"to_phone": "13800000000", "minutes": 10, "note": "x" * (MB - 200)}).encode()
    assert len(body) <= get_settings().max_body_bytes
    resp = await client.post(
        "/api/v1/timebank/transfers", content=body, headers={"content-type": "application/json"}
    )
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("streamed", [False, True])
async def test_photo_upload_over_five_megabytes_is_413_before_authentication(client, streamed):
    boundary = "xyz"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\n\r\n'.encode()
    size = 6 * MB

    async def multipart():
        yield head
        async for chunk in _chunks(size):
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    if not streamed:
        headers["content-length"] = str(len(head) + size + len(f"\r\n--{boundary}--\r\n"))
    resp = await client.post("/api/v1/wishes/1/photos", content=multipart(), headers=headers)
    settings = get_settings()
    _assert_413(resp, settings.max_photo_bytes + 64 * 1024)


async def test_photo_upload_of_four_megabytes_passes_the_size_check(client):
    resp = await client.post("/api/v1/wishes/1/photos", files={"photo": ("a.jpg", b"\xff" * (4 * MB))})
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"


async def test_form_body_uses_the_json_limit(client):
    resp = await client.post("/api/v1/auth/login", data={"x": "y" * (2 * MB)})
    _assert_413(resp, get_settings().max_body_bytes)
