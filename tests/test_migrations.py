"""The migrations go both ways: up to head, down to base (with the demo county in the tables), up again,
on the suite's database engine.

It uses a database of its own beside the suite's (a file next to the SQLite one, or `<name>_migrations`
on the same PostgreSQL server), so the suite's schema is never taken down under it.
"""

import asyncio
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy import inspect
from sqlmodel.ext.asyncio.session import AsyncSession

from app import migrate
from app.db import make_engine
from app.demo import load_demo
from tests.conftest import IS_PG, TEST_DB_URL, _in_thread, _recreate_pg_database


def _own_url() -> str:
    if IS_PG:
        return TEST_DB_URL + "_migrations"
    return "sqlite+aiosqlite:///" + str(Path(urlparse(TEST_DB_URL).path).with_name("migrations.db"))


async def _schema(url: str) -> dict[str, object]:
    """Tables (with their columns) and, on PostgreSQL, enum types: what a downgrade must take away."""

    def read(connection) -> dict[str, object]:
        insp = inspect(connection)
        tables = {t: sorted(c["name"] for c in insp.get_columns(t)) for t in insp.get_table_names()}
        enums = sorted(e["name"] for e in insp.get_enums()) if connection.dialect.name == "postgresql" else []
        return {"tables": tables, "enums": enums}

    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(read)
    finally:
        await engine.dispose()


async def _load_demo(url: str) -> None:
    engine = make_engine(url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            assert await load_demo(session)
    finally:
        await engine.dispose()


def test_upgrade_downgrade_to_base_and_upgrade_again():
    url = _own_url()
    if IS_PG:
        _in_thread(lambda: asyncio.run(_recreate_pg_database(url)))
    else:
        Path(urlparse(url).path).unlink(missing_ok=True)

    _in_thread(lambda: migrate.upgrade(url))
    head = _in_thread(lambda: asyncio.run(_schema(url)))
    assert "wishes" in head["tables"] and "ledger_txns" in head["tables"]
    # Rows in every domain, pointing at each other: a downgrade must take them down too.
    _in_thread(lambda: asyncio.run(_load_demo(url)))

    _in_thread(lambda: migrate.downgrade(url, "base"))
    base = _in_thread(lambda: asyncio.run(_schema(url)))
    assert set(base["tables"]) <= {"alembic_version"}, base
    assert base["enums"] == []

    _in_thread(lambda: migrate.upgrade(url))
    assert _in_thread(lambda: asyncio.run(_schema(url))) == head
    _in_thread(lambda: migrate.check(url))  # and the models still match what was built


async def _ledger_check(url: str):
    from app.services import ledger

    engine = make_engine(url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            return await ledger.verify(session)
    finally:
        await engine.dispose()


async def _execute(url: str, sql: str) -> None:
    from sqlalchemy import text

    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


def test_the_ledger_is_resealed_per_account_only_if_its_old_chain_verifies():
    """speed_02 (issue 12) proves the old global chain, then gives each entry its account's link; down and
    up again with the demo's ledger in it, the books verify with the same totals; a ledger edited while
    on the old chain is refused, not resealed."""
    url = _own_url()
    if IS_PG:
        _in_thread(lambda: asyncio.run(_recreate_pg_database(url)))
    else:
        Path(urlparse(url).path).unlink(missing_ok=True)
    _in_thread(lambda: migrate.upgrade(url))
    _in_thread(lambda: asyncio.run(_load_demo(url)))
    before = _in_thread(lambda: asyncio.run(_ledger_check(url)))
    assert before.ok and before.transactions > 10, before.problems

    _in_thread(lambda: migrate.downgrade(url, "alliance_03"))
    _in_thread(lambda: migrate.upgrade(url))
    after = _in_thread(lambda: asyncio.run(_ledger_check(url)))
    assert after.ok, after.problems
    assert after.transactions == before.transactions

    _in_thread(lambda: migrate.downgrade(url, "alliance_03"))
    _in_thread(lambda: asyncio.run(_execute(url, "UPDATE ledger_txns SET memo = '改过' WHERE seq = 3")))
    try:
        _in_thread(lambda: migrate.upgrade(url))
        raise AssertionError("an edited ledger was resealed")
    except RuntimeError as refused:
        assert "ledger chain breaks" in str(refused)
