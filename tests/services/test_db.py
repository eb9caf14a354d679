"""The connection pool: no ping per checkout under load, a dead idle connection replaced unseen."""

import pytest
from sqlalchemy import text

from app import db as db_module
from app.db import make_engine
from tests.conftest import IS_PG, TEST_DB_URL

pytestmark = pytest.mark.skipif(not IS_PG, reason="the pool is PostgreSQL's")


async def _backend_pid(engine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()


async def test_a_busy_pool_pays_no_ping(monkeypatch):
    engine = make_engine(TEST_DB_URL, pool_size=1)
    pings = []
    real = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(1) or real(conn))
    try:
        for _ in range(5):
            await _backend_pid(engine)
        assert pings == []
        monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", -1.0)  # every connection counts as idle now
        await _backend_pid(engine)
        assert pings == [1]
    finally:
        await engine.dispose()


async def test_a_connection_that_died_while_idle_is_replaced_before_the_request_sees_it(monkeypatch):
    monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", -1.0)
    engine = make_engine(TEST_DB_URL, pool_size=1)
    killer = make_engine(TEST_DB_URL, pool_size=1)
    try:
        first = await _backend_pid(engine)
        async with killer.connect() as conn:
            assert (await conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": first})).scalar_one()
        second = await _backend_pid(engine)  # would raise "connection is closed" without the idle ping
        assert second != first
    finally:
        await engine.dispose()
        await killer.dispose()
