"""One suite, two databases: EJIA_TEST_DATABASE_URL picks PostgreSQL; the default is a fresh SQLite file.

The schema is built by the Alembic migrations (so they are tested too). Each test runs inside an
outer transaction that is rolled back; race tests use the `live` fixture instead: real separate
connections, committed data, tables emptied afterwards.
"""

import asyncio
import os
import tempfile
import threading
from collections.abc import AsyncIterator
from urllib.parse import urlparse

import pytest

_TMP = tempfile.mkdtemp(prefix="ejia-test-")
TEST_DB_URL = os.environ.get("EJIA_TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{_TMP}/test.db"
os.environ["DATABASE_URL"] = TEST_DB_URL
os.environ["EJIA_ENV"] = "test"
os.environ["EJIA_RUN_SCHEDULER"] = "false"
os.environ["EJIA_UPLOAD_DIR"] = f"{_TMP}/uploads"

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402
from sqlmodel.ext.asyncio.session import AsyncSession  # noqa: E402

from app import clock  # noqa: E402
from app.config import get_settings  # noqa: E402
from app.db import Database  # noqa: E402
from app.deps import get_report_session, get_session  # noqa: E402
from app.main import create_app  # noqa: E402

IS_PG = TEST_DB_URL.startswith("postgresql")


def _in_thread(fn):
    """Run sync code that starts its own event loop (Alembic) away from pytest's loop."""
    box = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            box["error"] = exc

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")


async def _recreate_pg_database(url: str) -> None:
    import asyncpg

    parsed = urlparse(url.replace("postgresql+asyncpg", "postgresql"))
    name = parsed.path.lstrip("/")
    admin = await asyncpg.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        database="postgres",
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def migrated() -> str:
    """A fresh database at the newest migration."""
    from app import migrate

    if IS_PG:
        _in_thread(lambda: asyncio.run(_recreate_pg_database(TEST_DB_URL)))
    _in_thread(lambda: migrate.upgrade(TEST_DB_URL))
    return TEST_DB_URL


@pytest.fixture(scope="session")
async def db(migrated) -> AsyncIterator[Database]:
    database = Database(get_settings())
    yield database
    await database.dispose()


@pytest.fixture(autouse=True)
def _reset_clock():
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
async def session(db: Database) -> AsyncIterator[AsyncSession]:
    """A session whose every commit is a savepoint inside one rolled-back transaction."""
    async with db.engine.connect() as conn:
        outer = await conn.begin()
        s = AsyncSession(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield s
        finally:
            await s.close()
            await outer.rollback()


def _make_app(db: Database):
    app = create_app(get_settings())
    app.state.db = db
    app.state.http = httpx.AsyncClient()
    return app


@pytest.fixture
async def app(db: Database, session: AsyncSession):
    application = _make_app(db)

    async def _session():
        yield session

    application.dependency_overrides[get_session] = _session
    application.dependency_overrides[get_report_session] = _session
    yield application
    await application.state.http.aclose()


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


async def _empty_all_tables(db: Database) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    async with db.engine.begin() as conn:
        if IS_PG:
            await conn.execute(
                text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
            )
        else:
            for t in tables:
                await conn.execute(text(f'DELETE FROM "{t}"'))


class Live:
    """Committed data and real concurrent requests: an app on real sessions, plus a session maker."""

    def __init__(self, app, db: Database):
        self.app = app
        self.db = db

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://test")


@pytest.fixture
async def live(db: Database) -> AsyncIterator[Live]:
    """For race tests: every request gets its own connection; tables are emptied afterwards."""
    await _empty_all_tables(db)
    application = _make_app(db)
    try:
        yield Live(application, db)
    finally:
        await application.state.http.aclose()
        await _empty_all_tables(db)
