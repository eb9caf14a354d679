"""Real-browser page tests: Playwright driving Debian's Chromium against a live uvicorn server.

The server is the real app (`app.main:app`) started once per session as a subprocess on a free
loopback port, with EJIA_ENV=test and EJIA_RUN_SCHEDULER=false, on its own database derived from
the test database (SQLite: a separate temp file; PostgreSQL: `<testdb>_pages`, created fresh and
migrated). Every browser test starts from an empty database: all tables are emptied after each test.

Fixtures:
- `server`   base URL of the live server, e.g. "http://127.0.0.1:41234".
- `page`     a fresh Playwright page in a fresh context at 375x667 (is_mobile, has_touch, zh-CN).
             `page.goto("/me")` works with paths (base_url is set). An uncaught JS error on the
             page fails the test.
- `page_db`  an `app.db.Database` on the server's database, for committed test data:
                 async with page_db.session() as s:
                     tree = await make_tree(s)              # factories commit
                     user = await make_user(s, home=tree.compound)
- `login`    `await login(page, user)` signs the page in as `user` (sets the `ejia_session`
             cookie from `app.security.issue_access_token`).
- `axe_check` `await axe_check(page)` injects axe-core (tests/.node, installed by
             scripts/install-test-deps.sh) and asserts no serious/critical violations; it skips
             the test only when axe-core is not installed.

Mark every browser test `@pytest.mark.browser` (or `pytestmark = pytest.mark.browser`).
Use fresh phones (`tests.factories.next_phone`) for people the page creates itself.
The server is another process: `app.clock.travel` in a test does not move its clock, and its log
is in the `server.log` beside its database (the path is printed if it fails to start).
Screenshots for a look at 375 px: `await page.screenshot(path="/tmp/<you>-shots/x.png", full_page=True)`.
"""

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx
import pytest
from sqlalchemy import text

from app.config import get_settings
from app.db import Database
from app.security import COOKIE_NAME, issue_access_token
from tests.conftest import IS_PG, TEST_DB_URL, _in_thread

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE = ROOT / "tests" / ".node" / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORT = {"width": 375, "height": 667}
HAVE_CHROMIUM = Path(CHROMIUM).exists()
_TMP = Path(tempfile.mkdtemp(prefix="ejia-pages-"))


def _pages_db_url() -> str:
    """The server's own database: beside the test database, never the same one."""
    if IS_PG:
        parsed = urlparse(TEST_DB_URL)
        return urlunparse(parsed._replace(path=parsed.path.rstrip("/") + "_pages"))
    return f"sqlite+aiosqlite:///{_TMP}/pages.db"


PAGES_DB_URL = _pages_db_url()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def pages_migrated() -> str:
    from app import migrate
    from tests.conftest import _recreate_pg_database

    if IS_PG:
        _in_thread(lambda: asyncio.run(_recreate_pg_database(PAGES_DB_URL)))
    _in_thread(lambda: migrate.upgrade(PAGES_DB_URL))
    return PAGES_DB_URL


@pytest.fixture(scope="session")
def server(pages_migrated) -> Iterator[str]:
    """Start the app under uvicorn on a free loopback port; its base URL."""
    yield from _serve(pages_migrated, name="server")


@pytest.fixture(scope="session")
def map_server(pages_migrated) -> Iterator[str]:
    """A second server on the same database with a map tile source configured (EJIA_MAP_TILE_URL; the
    tiles are its own 404s: the tests look at the markers, not the imagery)."""
    yield from _serve(
        pages_migrated, name="map-server", extra={"EJIA_MAP_TILE_URL": "/tiles/{z}/{x}/{y}.png"}
    )


def _serve(database_url: str, *, name: str, extra: dict[str, str] | None = None) -> Iterator[str]:
    port = _free_port()
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        EJIA_ENV="test",
        EJIA_RUN_SCHEDULER="false",
        EJIA_UPLOAD_DIR=str(_TMP / "uploads"),
        EJIA_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        # every browser test signs in from 127.0.0.1: one NAT-sized allowance is not enough
        EJIA_OTP_PER_IP_PER_MINUTE="10000",
        **(extra or {}),
    )
    log_path = _TMP / f"{name}.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the page-test server exited:\n{log_path.read_text(errors='replace')}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the page-test server did not start:\n{log_path.read_text(errors='replace')}"
                )
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
async def page_db(pages_migrated) -> AsyncIterator[Database]:
    """A Database on the server's database: commit data here and the server sees it."""
    database = Database(get_settings().model_copy(update={"database_url": pages_migrated}))
    yield database
    await database.dispose()


async def _empty_tables(db: Database) -> None:
    async with db.engine.begin() as conn:
        if IS_PG:
            names = (
                (
                    await conn.execute(
                        text(
                            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"
                        )
                    )
                )
                .scalars()
                .all()
            )
            if names:
                await conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " CASCADE"))
        else:
            names = (
                (
                    await conn.execute(
                        text(
                            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                            "AND name <> 'alembic_version'"
                        )
                    )
                )
                .scalars()
                .all()
            )
            await conn.execute(text("PRAGMA defer_foreign_keys = ON"))  # checked at commit, when all is gone
            for n in names:
                await conn.execute(text(f'DELETE FROM "{n}"'))


@pytest.fixture(scope="session")
async def browser():
    """One headless Chromium for the session."""
    if not HAVE_CHROMIUM:
        pytest.skip("Chromium is missing: run scripts/install-test-deps.sh")
    from playwright.async_api import async_playwright

    pw = await async_playwright().start()
    try:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            await chromium.close()
    finally:
        await pw.stop()


@pytest.fixture
async def page(browser, server, page_db):
    """A fresh phone-sized context and page; the database is emptied afterwards."""
    context = await browser.new_context(
        viewport=VIEWPORT,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        base_url=server,
    )
    context.set_default_timeout(10_000)
    pg = await context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield pg
    finally:
        await context.close()
        await _empty_tables(page_db)
    if errors:
        pytest.fail(f"uncaught JavaScript errors on the page: {errors}")


@pytest.fixture
def login(server):
    """`await login(page, user)`: sign the page in as `user` with the session cookie."""

    async def _login(pg, user) -> None:
        token = issue_access_token(get_settings(), user.id)
        await pg.context.add_cookies(
            [{"name": COOKIE_NAME, "value": token, "url": server, "httpOnly": True, "sameSite": "Lax"}]
        )

    return _login


@pytest.fixture
def axe_check():
    """`await axe_check(page)`: no serious or critical accessibility violations on the current page."""

    async def _check(pg, *, exclude: list[str] | None = None) -> None:
        if not AXE.exists():
            pytest.skip("axe-core is not installed (scripts/install-test-deps.sh)")
        await pg.add_script_tag(content=AXE.read_text())
        context = {"exclude": [[s] for s in exclude]} if exclude else None
        result = await pg.evaluate(
            "async (ctx) => await axe.run(ctx || document, {resultTypes: ['violations']})", context
        )
        bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
        report = "\n".join(
            f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:5])
            for v in bad
        )
        assert not bad, f"accessibility violations on {pg.url}:\n{report}"

    return _check
