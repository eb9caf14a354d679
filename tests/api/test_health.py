"""Health probes, and the error responses every route shares (404, 405, 500)."""

import httpx
import pytest

from app.config import get_settings
from app.db import Database
from app.main import create_app


async def test_healthz_is_ok(client):
    resp = await client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json() == {"ok": True}


async def test_readyz_reaches_the_database(client):
    resp = await client.get("/readyz")
    assert resp.status_code == 200
    assert resp.json() == {"ok": True, "database": "ok"}


async def test_readyz_is_503_when_the_database_is_unreachable(tmp_path):
    broken = get_settings().model_copy(
        update={"database_url": f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/x.db"}
    )
    app = create_app(broken)
    app.state.db = Database(broken)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
            resp = await c.get("/readyz")
    finally:
        await app.state.db.dispose()
    assert resp.status_code == 503
    assert resp.json() == {"ok": False, "database": "unreachable"}


async def test_unknown_api_route_is_404_problem(client):
    resp = await client.get("/api/v1/no-such-thing")
    assert resp.status_code == 404
    assert resp.json()["code"] == "not_found"
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json() == {
        "type": "/problems/not_found",
        "title": "找不到该内容",
        "status": 404,
        "detail": "找不到该内容",
        "code": "not_found",
        "instance": "/api/v1/no-such-thing",
    }


async def test_wrong_method_on_api_is_405_problem(client):
    resp = await client.delete("/api/v1/auth/sms-code")
    assert resp.status_code == 405
    assert resp.json()["code"] == "method_not_allowed"


async def test_unknown_page_is_an_html_404_page(client):
    resp = await client.get("/no-such-page")
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("text/html")
    assert "找不到该内容" in resp.text
    assert 'href="/"' in resp.text


@pytest.fixture
async def boom_client(db):
    """An app with test-only routes that fail the way a bug would."""
    app = create_app(get_settings())
    app.state.db = db
    app.state.http = httpx.AsyncClient()

    @app.get("/api/v1/test-boom")
    async def api_boom():
        raise RuntimeError("secret internals: password=hunter2")

    @app.get("/test-boom")
    async def page_boom():
        raise RuntimeError("secret internals: password=hunter2")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c
    await app.state.http.aclose()


async def test_unexpected_error_is_500_problem_with_request_id_and_no_internals(boom_client, caplog):
    resp = await boom_client.get("/api/v1/test-boom", headers={"X-Request-ID": "req-12345"})
    assert resp.status_code == 500
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    assert body["code"] == "internal_error"
    assert body["title"] == "服务器错误"
    assert body["request_id"] == "req-12345"
    assert body["detail"] == "服务器开小差了，请稍后再试（编号 req-12345）"
    assert "secret" not in resp.text and "RuntimeError" not in resp.text
    logged = [r for r in caplog.records if r.name == "ejia" and "req-12345" in r.getMessage()]
    assert len(logged) == 1
    assert "hunter2" in logged[0].exc_text or "hunter2" in str(logged[0].exc_info[1])


async def test_unexpected_error_gets_a_fresh_request_id_when_none_is_given(boom_client):
    resp = await boom_client.get("/api/v1/test-boom")
    rid = resp.json()["request_id"]
    assert len(rid) == 16
    assert rid != "-"


async def test_unexpected_error_on_a_page_is_an_html_500_page(boom_client):
    resp = await boom_client.get("/test-boom", headers={"X-Request-ID": "req-67890"})
    assert resp.status_code == 500
    assert resp.headers["content-type"].startswith("text/html")
    assert "服务器开小差了" in resp.text
    assert "req-67890" in resp.text
    assert "secret" not in resp.text


async def test_every_response_carries_a_request_id(client):
    resp = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert resp.headers["x-request-id"] == "abc-123"
    assert len((await client.get("/healthz")).headers["x-request-id"]) == 16


async def test_500_response_carries_the_request_id_header(boom_client):
    resp = await boom_client.get("/api/v1/test-boom", headers={"X-Request-ID": "req-1"})
    assert resp.headers["x-request-id"] == "req-1"


async def test_unexpected_error_shows_no_internals(boom_client):
    resp = await boom_client.get("/api/v1/test-boom")
    assert resp.status_code == 500
    body = resp.json()
    assert (body["code"], body["status"], body["title"]) == ("internal_error", 500, "服务器错误")
    assert "secret" not in resp.text and "RuntimeError" not in resp.text and "Traceback" not in resp.text
