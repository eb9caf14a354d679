"""The database engine (SQLite pragmas and BEGIN recipe; asyncpg pool) and sessions."""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeGuard

from sqlalchemy import Integer, String, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import Settings
from app.errors import ServiceUnavailable, ValidationFailed

# A connection back in the pool for longer than this is pinged before reuse; busier ones are not.
IDLE_PING_SECONDS = 10.0


def make_engine(url: str, *, pool_size: int = 20, sqlite_synchronous: str = "FULL") -> AsyncEngine:
    """An async engine; on SQLite, WAL + foreign keys and explicit BEGIN (IMMEDIATE for writers).

    On PostgreSQL the pool keeps `pool_size` connections open (a small overflow for bursts) and
    recycles them after half an hour. A checkout pays no ping under load: only a connection that
    sat idle for IDLE_PING_SECONDS is pinged, and one found dead is replaced before the request
    sees it; a connection that dies mid-request invalidates the pool, so the others are replaced
    at their next checkout.
    """
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _sqlite_recipe(engine, synchronous=sqlite_synchronous)
    else:
        engine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size // 2,
            pool_recycle=1800,
            pool_use_lifo=True,
            # No JIT for the app's short queries: PostgreSQL compiles any plan over jit_above_cost, and a
            # year's stats at county scale paid ~330 ms of compile for ~100 ms of counting (issue 12).
            connect_args={"server_settings": {"jit": "off"}},
        )
        _ping_when_idle(engine)
    event.listen(engine.sync_engine, "before_cursor_execute", _refuse_nul)
    event.listen(engine.sync_engine, "do_connect", _connect_or_unavailable)
    return engine


def _connect_or_unavailable(dialect, _record, cargs, cparams):
    # A database that cannot be reached (down, restarting, refusing connections, an unopenable file) is
    # the service being unavailable, not a bug: 503 with Retry-After, whichever driver error it was.
    try:
        return dialect.connect(*cargs, **cparams)
    except Exception as exc:
        raise ServiceUnavailable() from exc


# PostgreSQL's deadlock_detected and serialization_failure: the transaction was rolled back whole.
LOST_RACE_SQLSTATES = frozenset({"40P01", "40001"})


def is_lost_race(exc: BaseException) -> TypeGuard[sa_exc.DBAPIError]:
    """True for a transaction PostgreSQL rolled back to break a deadlock or a serialisation conflict."""
    return isinstance(exc, sa_exc.DBAPIError) and getattr(exc.orig, "sqlstate", None) in LOST_RACE_SQLSTATES


def unavailable(exc: Exception) -> ServiceUnavailable | None:
    """The 503 for a database error that means "try again shortly": the connection was lost mid-request,
    the pool had no connection free in time, SQLite stayed locked past its busy timeout, or a request
    lost a race twice (see app/retry.py)."""
    if isinstance(exc, sa_exc.TimeoutError) or is_lost_race(exc):
        return ServiceUnavailable()
    if isinstance(exc, sa_exc.DBAPIError) and (
        exc.connection_invalidated or "database is locked" in str(exc.orig)
    ):
        return ServiceUnavailable()
    return None


def _ping_when_idle(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(_dbapi_conn, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_conn, record, _proxy) -> None:
        since = record.info.get("idle_since")
        if since is not None and time.monotonic() - since > IDLE_PING_SECONDS:
            try:
                engine.dialect.do_ping(dbapi_conn)
            except Exception as exc:  # the pool retries the checkout with a new connection
                raise DisconnectionError("a pooled connection was found dead") from exc


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _refuse_nul(conn, cursor, statement, parameters, context, executemany) -> None:
    # PostgreSQL text cannot hold U+0000 (the driver fails mid-statement); SQLite would keep it and break exports.
    # Whatever field or query parameter it came in by, it is bad input: a 422 before the statement runs, and the
    # session's transaction is rolled back as for any error, so nothing is half-written.
    if parameters and _has_nul(parameters):
        raise ValidationFailed("内容含有无法保存的空字符，请删除后重试", code="invalid_character")


def _sqlite_recipe(engine: AsyncEngine, *, synchronous: str) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; take it over
    # (SQLAlchemy's documented recipe), and begin writers IMMEDIATE so two writers queue on the
    # write lock instead of failing with "database is locked" when a read upgrades to a write.
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute(f"PRAGMA synchronous={'NORMAL' if synchronous == 'NORMAL' else 'FULL'}")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn):
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """An engine and its session factories: readers, writers (BEGIN IMMEDIATE on SQLite), and
    reports — heavy reads (numbers, exports) that may go to a replica when DATABASE_READ_URL is set."""

    def __init__(self, settings: Settings):
        self.engine = make_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            sqlite_synchronous=settings.sqlite_synchronous,
        )
        self.is_sqlite = settings.is_sqlite
        writer = self.engine.execution_options(sqlite_immediate=True) if self.is_sqlite else self.engine
        self.reader = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self.writer = async_sessionmaker(writer, class_=AsyncSession, expire_on_commit=False)
        self.replica_engine = (
            make_engine(
                settings.database_read_url,
                pool_size=settings.db_pool_size,
                sqlite_synchronous=settings.sqlite_synchronous,
            )
            if settings.database_read_url
            else None
        )
        self.reports = (
            async_sessionmaker(self.replica_engine, class_=AsyncSession, expire_on_commit=False)
            if self.replica_engine
            else self.reader
        )

    @asynccontextmanager
    async def session(self, *, write: bool = True, report: bool = False) -> AsyncIterator[AsyncSession]:
        """A session that rolls back whatever its user did not commit."""
        factory = self.reports if report else self.writer if write else self.reader
        async with factory() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.replica_engine is not None:
            await self.replica_engine.dispose()


def dialect_insert(session: AsyncSession, table):  # noqa: ANN001, ANN201 - a model class in, an Insert out
    """`INSERT` of this session's dialect, so `.on_conflict_do_nothing(...)` compiles on either database."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(table)


async def advisory_lock(session: AsyncSession, key: str) -> None:
    """Serialise writers that share `key` until the transaction ends.

    PostgreSQL takes a transaction-scoped advisory lock; SQLite writers already hold the one
    database write lock (BEGIN IMMEDIATE), so there is nothing more to take.

    Lock order, everywhere: an object's advisory lock before any of its rows (a conditional
    UPDATE that waited keeps its row locked even when its re-check fails, so row-then-advisory
    deadlocks against advisory-then-row). A victim that still loses is retried once (app/retry.py).
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        lock = text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))").bindparams(k=key)
        await session.exec(lock)  # type: ignore[call-overload]  # SQLModel types exec for select/update only


class china_year(FunctionElement):  # noqa: N801 - reads as the SQL function it compiles to
    """SQL: the calendar year in China (UTC+8) of a UTC timestamp column, on either database."""

    type = Integer()
    inherit_cache = True


@compiles(china_year, "postgresql")
def _china_year_pg(element, compiler, **kw):
    return f"CAST(EXTRACT(YEAR FROM ({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Shanghai')) AS INTEGER)"


@compiles(china_year, "sqlite")
def _china_year_sqlite(element, compiler, **kw):
    return f"CAST(strftime('%Y', {compiler.process(element.clauses, **kw)}, '+8 hours') AS INTEGER)"


class china_day(FunctionElement):  # noqa: N801 - reads as the SQL function it compiles to
    """SQL: the calendar day in China (UTC+8) of a UTC timestamp column, as 'YYYY-MM-DD' text, on either database."""

    type = String()
    inherit_cache = True


@compiles(china_day, "postgresql")
def _china_day_pg(element, compiler, **kw):
    return f"to_char(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM-DD')"


@compiles(china_day, "sqlite")
def _china_day_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"
