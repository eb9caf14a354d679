"""A database that is down or busy is a 503 service_unavailable with Retry-After, never a 500."""

import httpx
import pytest
from sqlalchemy import exc as sa_exc

from app.config import get_settings
from app.db import Database, unavailable
from app.main import create_app
from app.security import issue_access_token

UNREACHABLE = [
    "postgresql+asyncpg://postgres@127.0.0.1:1/ejia_gone",  # nothing listens on port 1
    "sqlite+aiosqlite:////nonexistent-dir/ejia.db",  # a file that cannot be opened
]


@pytest.fixture(params=UNREACHABLE, ids=["postgresql", "sqlite"])
async def down_client(request):
    settings = get_settings().model_copy(update={"database_url": request.param})
    app = create_app(settings)
    app.state.db = Database(settings)
    app.state.http = httpx.AsyncClient()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
    await app.state.http.aclose()
    await app.state.db.dispose()


async def test_api_read_and_write_with_the_database_down_are_503(down_client):
    headers = {"Authorization": f"Bearer {issue_access_token(get_settings(), 1)}"}
    for resp in (
        await down_client.get("/api/v1/me", headers=headers),
        await down_client.post("/api/v1/wishes/1/claim", json={}, headers=headers),
    ):
        assert resp.status_code == 503
        assert resp.headers["retry-after"] == "5"
        assert resp.headers["content-type"] == "application/problem+json"
        assert resp.json()["code"] == "service_unavailable"


async def test_readyz_keeps_its_own_answer(down_client):
    resp = await down_client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json() == {"ok": False, "database": "unreachable"}


def test_lost_connection_and_exhausted_pool_are_unavailable_but_bugs_are_not():
    lost = sa_exc.OperationalError("SELECT 1", {}, Exception("server closed"), connection_invalidated=True)
    locked = sa_exc.OperationalError("INSERT", {}, Exception("database is locked"))
    bug = sa_exc.ProgrammingError("SELEC 1", {}, Exception("syntax error"))
    assert unavailable(lost).code == "service_unavailable"
    assert unavailable(locked).code == "service_unavailable"
    assert unavailable(sa_exc.TimeoutError("QueuePool limit reached")).status == 503
    assert unavailable(bug) is None
    assert unavailable(ValueError("x")) is None


async def test_an_acknowledged_commit_is_on_disk_before_the_reply(session):
    """SQLite syncs every commit (synchronous=FULL); PostgreSQL keeps synchronous_commit on."""
    from sqlalchemy import text

    if session.bind.dialect.name == "sqlite":
        assert (await session.exec(text("PRAGMA synchronous"))).scalar() == 2  # FULL
    else:
        assert (await session.exec(text("SHOW synchronous_commit"))).scalar() == "on"
