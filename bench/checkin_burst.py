"""A check-in burst against a running server: check-ins per second and p50/p99, beside /healthz in the same run.

    python bench/checkin_burst.py                       # starts its own server on loopback (SQLite temp file)
    python bench/checkin_burst.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/ejia_bench
    python bench/checkin_burst.py --url http://127.0.0.1:8000 --database-url <that server's database>
        (targeting a running server: the same database and EJIA_SECRET_KEY as that server, so the
        bench can seed its people and sign its tokens)

Seeds one tree, `--stations` stations and `--people` people; every person scans every station once,
so `people × stations` check-ins each make one row. The codes are minted per request from the live
window, exactly as a station's screen shows them. Everything is bounded by `--concurrency` and a
hard `--time-limit`.
"""

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", help="target a running server instead of starting one")
    p.add_argument("--database-url", help="the server's database (default: a fresh SQLite temp file)")
    p.add_argument("--people", type=int, default=500)
    p.add_argument("--stations", type=int, default=4)
    p.add_argument("--concurrency", type=int, default=100)
    p.add_argument("--health-requests", type=int, default=2000)
    p.add_argument("--time-limit", type=float, default=120.0, help="hard limit for the whole run, seconds")
    return p.parse_args()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _seed(database_url: str, *, people: int, stations: int) -> tuple[list[int], list[int]]:
    from app.config import get_settings
    from app.db import Database
    from app.models.org import OrgKind
    from app.models.stations import Station
    from app.models.user import User
    from app.services import orgs as orgs_service

    db = Database(get_settings().model_copy(update={"database_url": database_url}))
    try:
        async with db.session() as s:
            stamp = int(time.time())
            alliance = await orgs_service.add_org(
                s, name=f"压测联盟{stamp}", kind=OrgKind.alliance, parent=None
            )
            community = await orgs_service.add_org(
                s, name="压测社区", kind=OrgKind.community, parent=alliance
            )
            rows = [
                Station(org_id=community.id, name=f"压测驿站{i}", lat=34.28, lng=119.23)
                for i in range(stations)
            ]
            base = 19_000_000_000 + (stamp % 100_000) * 10_000
            users = [User(name=f"压测{i}", phone=f"1{str(base + i)[-10:]}") for i in range(people)]
            s.add_all(rows + users)
            await s.commit()
            return [r.id for r in rows], [u.id for u in users]
    finally:
        await db.dispose()


@contextlib.contextmanager
def _server(database_url: str):
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=database_url, EJIA_RUN_SCHEDULER="false")
    log_path = Path(tempfile.mkdtemp(prefix="ejia-bench-")) / "server.log"
    with log_path.open("wb") as log:
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
        try:
            yield f"http://127.0.0.1:{port}", proc, str(log_path)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


async def _wait_ready(base: str, proc) -> None:
    import httpx

    deadline = time.monotonic() + 60
    async with httpx.AsyncClient() as c:
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise SystemExit("the server exited; see its log")
            with contextlib.suppress(httpx.HTTPError):
                if (await c.get(f"{base}/readyz", timeout=2)).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise SystemExit("the server did not become ready in 60 s")


async def _drive(client, calls, concurrency: int, *, deadline: float) -> tuple[list[float], dict, float]:
    """Run the request factories, at most `concurrency` in flight, until done or `deadline` (monotonic);
    latencies (s) and status counts of the requests that finished, and the wall time."""
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    statuses: dict[int | str, int] = {}

    async def one(call):
        async with gate:
            t0 = time.perf_counter()
            try:
                status = (await call(client)).status_code
            except Exception as exc:  # noqa: BLE001 - a transport error is counted by its kind, not fatal
                status = type(exc).__name__
            latencies.append(time.perf_counter() - t0)
            statuses[status] = statuses.get(status, 0) + 1

    began = time.perf_counter()
    tasks = [asyncio.ensure_future(one(c)) for c in calls]
    _, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - time.monotonic()))
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    if pending:
        statuses["unfinished"] = len(pending)
    return latencies, statuses, time.perf_counter() - began


def _pct(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] * 1000 if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000


async def _run(args, base: str, station_ids: list[int], people: list[int], deadline: float) -> None:
    import httpx

    from app import clock
    from app.config import get_settings
    from app.security import issue_access_token
    from app.services import qr

    settings = get_settings()
    headers = {uid: {"Authorization": f"Bearer {issue_access_token(settings, uid)}"} for uid in people}
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        await client.get("/healthz")
        h_lat, h_status, h_wall = await _drive(
            client,
            [lambda c: c.get("/healthz") for _ in range(args.health_requests)],
            args.concurrency,
            deadline=deadline,
        )
        health_rate = len(h_lat) / h_wall
        print(f"server {base}  concurrency {args.concurrency}")
        print(
            f"/healthz   {len(h_lat):5d} requests  {health_rate:8.1f} req/s  p50 {_pct(h_lat, 50):7.1f} ms  "
            f"p99 {_pct(h_lat, 99):7.1f} ms  statuses {h_status}",
            flush=True,
        )

        def scan(uid: int, sid: int):
            # Minted at send time from the live window, as the station's screen shows it.
            return lambda c: c.post(
                "/api/v1/checkins",
                json={"token": qr.live_token("s", sid, at=clock.now())[0]},
                headers=headers[uid],
            )

        calls = [scan(uid, sid) for sid in station_ids for uid in people]
        c_lat, c_status, c_wall = await _drive(client, calls, args.concurrency, deadline=deadline)
    checkin_rate = len(c_lat) / c_wall
    print(
        f"/checkins  {len(c_lat):5d} check-ins {checkin_rate:8.1f} /s     p50 {_pct(c_lat, 50):7.1f} ms  "
        f"p99 {_pct(c_lat, 99):7.1f} ms  statuses {c_status}  ({len(people)} people × {len(station_ids)} stations)"
    )
    print(f"ratio check-ins/healthz: {checkin_rate / health_rate:.3f}")


async def _count_rows(database_url: str, station_ids: list[int]) -> int:
    from sqlmodel import func, select

    from app.config import get_settings
    from app.db import Database
    from app.models.stations import Checkin

    db = Database(get_settings().model_copy(update={"database_url": database_url}))
    try:
        async with db.session(write=False) as s:
            return (
                await s.exec(
                    select(func.count()).select_from(Checkin).where(Checkin.station_id.in_(station_ids))
                )
            ).one()
    finally:
        await db.dispose()


def main() -> None:
    args = _args()
    tmp = tempfile.mkdtemp(prefix="ejia-bench-")
    database_url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
    os.environ.setdefault("EJIA_ENV", "test" if not args.url else os.environ.get("EJIA_ENV", "dev"))
    os.environ["DATABASE_URL"] = database_url
    from app import migrate

    if not args.url:
        migrate.upgrade(database_url)
    station_ids, people = asyncio.run(_seed(database_url, people=args.people, stations=args.stations))

    async def bounded(base, proc):
        await _wait_ready(base, proc)
        # Whatever has not finished by the hard limit is cancelled and reported as unfinished.
        await _run(args, base, station_ids, people, deadline=time.monotonic() + args.time_limit)

    if args.url:
        asyncio.run(bounded(args.url.rstrip("/"), None))
    else:
        with _server(database_url) as (base, proc, log):
            print(f"started uvicorn (1 worker) on {base}, database {database_url}, log {log}")
            asyncio.run(bounded(base, proc))
    rows = asyncio.run(_count_rows(database_url, station_ids))
    print(f"rows written: {rows} (expected {len(station_ids) * len(people)})")


if __name__ == "__main__":
    main()
