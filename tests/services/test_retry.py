"""A request that lost a deadlock is run once more with the same body; a second loss is a 503, never a 500."""

import httpx
import pytest
from fastapi import FastAPI, Request
from sqlalchemy import exc as sa_exc

from app.db import is_lost_race, unavailable
from app.retry import RetryLostRaceMiddleware


class _PgError(Exception):
    def __init__(self, sqlstate: str):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _db_error(sqlstate: str) -> sa_exc.DBAPIError:
    return sa_exc.DBAPIError("UPDATE activities …", {}, _PgError(sqlstate))


def _app(losses: int, sqlstate: str = "40P01"):
    app = FastAPI()
    app.add_middleware(RetryLostRaceMiddleware)
    calls: list[bytes] = []

    @app.post("/work")
    async def work(request: Request):
        calls.append(await request.body())
        if len(calls) <= losses:
            raise _db_error(sqlstate)
        return {"attempt": len(calls)}

    return app, calls


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=True), base_url="http://t"
    )


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
async def test_a_lost_race_is_replayed_once_with_the_same_body(sqlstate):
    app, calls = _app(losses=1, sqlstate=sqlstate)
    async with _client(app) as c:
        r = await c.post("/work", json={"minutes": 30})
    assert r.status_code == 200 and r.json() == {"attempt": 2}
    assert calls == [b'{"minutes":30}'] * 2


async def test_a_second_loss_is_raised_and_answered_503():
    app, calls = _app(losses=2)
    async with _client(app) as c:
        with pytest.raises(sa_exc.DBAPIError) as raised:
            await c.post("/work", json={})
    assert len(calls) == 2
    assert unavailable(raised.value) is not None and unavailable(raised.value).status == 503


async def test_other_database_errors_are_not_replayed():
    app, calls = _app(losses=1, sqlstate="23505")
    async with _client(app) as c:
        with pytest.raises(sa_exc.DBAPIError):
            await c.post("/work", json={})
    assert len(calls) == 1
    assert not is_lost_race(_db_error("23505"))
