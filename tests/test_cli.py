"""The `ejia` command in an empty directory on SQLite: migrate, create-admin, demo, serve."""

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from app.demo import PEOPLE

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).with_name("ejia")


def ejia_command() -> list[str]:
    """The installed console script; from a source checkout without it, the same entry point."""
    if SCRIPT.exists():
        return [str(SCRIPT)]
    return [sys.executable, "-c", "from app.cli import main; main()"]


def clean_env(**extra: str) -> dict[str, str]:
    """A newcomer's environment: no database URL, no test settings (so the dev defaults apply)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EJIA_", "DATABASE_"))}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def ejia(cwd: Path, *args: str, timeout: int = 120, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*ejia_command(), *args],
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def query(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """An empty directory where `ejia migrate` has run once."""
    path = tmp_path_factory.mktemp("ejia-cli")
    result = ejia(path, "migrate")
    assert result.returncode == 0, result.stderr
    assert "数据库已是最新结构" in result.stdout
    return path


def test_console_script_is_declared():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"ejia": "app.cli:main"}


def test_migrate_creates_the_sqlite_file_and_a_private_secret(workdir):
    assert (workdir / "ejia.db").exists()
    secret = workdir / ".ejia-secret"
    assert len(secret.read_text().strip()) >= 32
    assert secret.stat().st_mode & 0o777 == 0o600
    tables = {
        name for (name,) in query(workdir / "ejia.db", "SELECT name FROM sqlite_master WHERE type='table'")
    }
    assert {"orgs", "users", "roles", "sms_codes", "audit_logs", "alembic_version"} <= tables
    assert query(workdir / "ejia.db", "PRAGMA journal_mode") == [("wal",)]


def test_migrate_twice_is_fine(workdir):
    result = ejia(workdir, "migrate")
    assert result.returncode == 0, result.stderr


def test_create_admin_in_an_empty_directory_makes_root_alliance_and_admin_and_can_repeat(tmp_path):
    first = ejia(tmp_path, "create-admin", "--phone", "13900000000", "--name", "管理员")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("已设置管理员")
    second = ejia(tmp_path, "create-admin", "--phone", "13900000000", "--name", "管理员")
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    db = tmp_path / "ejia.db"
    assert query(db, "SELECT name, kind, parent_id, path FROM orgs") == [
        ("党建联盟总站", "alliance", None, "/1/")
    ]
    assert query(db, "SELECT id, phone, name FROM users") == [(1, "13900000000", "管理员")]
    assert query(db, "SELECT user_id, org_id, role FROM roles") == [(1, 1, "admin")]
    assert query(db, "SELECT actor_id, action, object_id, org_id FROM audit_logs") == [
        (None, "role.bootstrap_admin", 1, 1),
        (None, "role.bootstrap_admin", 1, 1),
    ]

    other = ejia(tmp_path, "create-admin", "--phone", "13900000009", "--name", "副管理员")
    assert other.returncode == 0, other.stderr
    assert query(db, "SELECT count(*) FROM orgs") == [(1,)]
    assert query(
        db,
        "SELECT u.phone, u.name, r.org_id, r.role FROM roles r JOIN users u ON u.id = r.user_id "
        "ORDER BY u.id",
    ) == [("13900000000", "管理员", 1, "admin"), ("13900000009", "副管理员", 1, "admin")]


@pytest.mark.parametrize(
    ("phone", "name"), [("12345", "管理员"), ("23900000000", "管理员"), ("13900000000", " ")]
)
def test_malformed_admin_is_refused_in_chinese(workdir, phone, name):
    before = query(workdir / "ejia.db", "SELECT count(*) FROM users")
    result = ejia(workdir, "create-admin", "--phone", phone, "--name", name)
    assert result.returncode == 1
    assert result.stderr.startswith("未能设置管理员：")
    assert "Traceback" not in result.stderr
    assert query(workdir / "ejia.db", "SELECT count(*) FROM users") == before


def test_demo_loads_once_then_skips(tmp_path):
    first = ejia(tmp_path, "demo", timeout=240)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().endswith("演示数据已载入")
    db = tmp_path / "ejia.db"
    kinds = dict(query(db, "SELECT kind, count(*) FROM orgs GROUP BY kind"))
    assert kinds == {"alliance": 1, "community": 3, "compound": 5, "grid": 3, "unit": 5}
    phones = {phone for _, phone, *_ in PEOPLE}
    assert {p for (p,) in query(db, "SELECT phone FROM users")} >= phones
    assert len(phones) == 16
    assert query(
        db,
        "SELECT u.name FROM roles r JOIN users u ON u.id = r.user_id JOIN orgs o ON o.id = r.org_id "
        "WHERE o.kind = 'alliance' AND r.role = 'admin'",
    ) == [("王书记",)]
    # The auditor's check on the demo: every credit backed, stats equal to the ledger month by month.
    reconciled = ejia(tmp_path, "reconcile", timeout=240)
    assert reconciled.returncode == 0, reconciled.stderr
    assert "对账相符 (reconcile OK)" in reconciled.stdout
    with sqlite3.connect(db) as conn:  # a hand edit of one attendance's minutes
        (aid,) = conn.execute(
            "SELECT min(activity_id) FROM activity_attendances WHERE credited_minutes > 0"
        ).fetchone()
        conn.execute(
            "UPDATE activity_attendances SET credited_minutes = credited_minutes + 30 WHERE activity_id = ?",
            (aid,),
        )
    caught = ejia(tmp_path, "reconcile", timeout=240)
    assert caught.returncode == 1
    assert f"活动 {aid}（用户" in caught.stderr
    assert "对账不符 (reconcile FAILED)" in caught.stderr
    counts = query(db, "SELECT (SELECT count(*) FROM orgs), (SELECT count(*) FROM users)")
    second = ejia(tmp_path, "demo", timeout=240)
    assert second.returncode == 0, second.stderr
    assert "跳过演示数据" in second.stdout
    assert query(db, "SELECT (SELECT count(*) FROM orgs), (SELECT count(*) FROM users)") == counts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(workdir: Path) -> Iterator[str]:
    """`ejia serve` in `workdir` on a free port, until it answers /healthz; yields its base URL."""
    port = _free_port()
    proc = subprocess.Popen(
        [*ejia_command(), "serve", "--port", str(port)],
        cwd=workdir,
        env=clean_env(EJIA_RUN_SCHEDULER="false"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read().decode(errors="replace")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "ejia serve did not come up"
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def sign_in(c: httpx.Client, phone: str) -> dict:
    code = c.post("/api/v1/auth/sms-code", json={"phone": phone}).json()["debug_code"]
    login = c.post("/api/v1/auth/login", json={"phone": phone, "code": code})
    assert login.status_code == 200, login.text
    return c.get("/api/v1/me").json()


def test_serve_answers_health_and_the_admin_can_sign_in(workdir):
    assert ejia(workdir, "create-admin", "--phone", "13900000000", "--name", "管理员").returncode == 0
    with serving(workdir) as base:
        assert httpx.get(f"{base}/readyz").json() == {"ok": True, "database": "ok"}
        assert httpx.get(f"{base}/login").status_code == 200
        with httpx.Client(base_url=base) as c:
            me = sign_in(c, "13900000000")
        assert (me["name"], me["roles"]) == ("管理员", [{"org_id": 1, "role": "admin"}])


def test_demo_reset_twice_starts_afresh_and_the_app_serves_it(tmp_path):
    """`ejia demo --reset` drops everything and loads the demo again (it used to die on a unique phone)."""
    db = tmp_path / "ejia.db"
    snapshot = "SELECT (SELECT count(*) FROM orgs), (SELECT count(*) FROM users), (SELECT max(id) FROM users)"
    for _ in range(2):
        result = ejia(tmp_path, "demo", "--reset", timeout=240)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().endswith("已清空数据库，演示数据已重新载入")
        assert query(db, snapshot) == [(17, 16, 16)]
    with sqlite3.connect(db) as conn:  # something of one's own, which a reset must not keep
        conn.execute("UPDATE users SET name = '改过的名字' WHERE phone = '13800000001'")
    result = ejia(tmp_path, "demo", "--reset", timeout=240)
    assert result.returncode == 0, result.stderr
    assert query(db, snapshot) == [(17, 16, 16)]
    assert query(db, "SELECT name FROM users WHERE phone = '13800000001'") == [("张阿姨",)]
    with serving(tmp_path) as base:
        assert httpx.get(f"{base}/readyz").json() == {"ok": True, "database": "ok"}
        with httpx.Client(base_url=base) as c:
            me = sign_in(c, "13800000001")
            assert me["name"] == "张阿姨"
            assert c.get("/").status_code == 200
            assert c.get("/api/v1/wishes", params={"org_id": 1}).status_code == 200


def test_demo_reset_is_refused_in_production(tmp_path):
    result = ejia(tmp_path, "demo", "--reset", EJIA_ENV="prod", EJIA_SECRET_KEY="x" * 40)
    assert result.returncode == 1
    assert result.stderr.strip() == "生产环境不能清空数据重新载入演示数据"
    assert not (tmp_path / "ejia.db").exists()


def test_the_readme_lists_every_command():
    from app.cli import cli

    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## The `ejia` command") :].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `ejia ([a-z-]+)", table, flags=re.M))
    commands = {c.name or c.callback.__name__.replace("_", "-") for c in cli.registered_commands}
    assert listed == commands
