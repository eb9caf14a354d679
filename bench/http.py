"""Hot paths over HTTP as ratios of a bare FastAPI hello: req/s, p50/p99, CPU and SQL statements per request.

    python -m bench http                 # PostgreSQL (database ejia_bench_http, recreated), 3 rounds × 5 s
    python -m bench http --quick         # 1 round × 4 s, smaller seeds (~2 minutes)
    python -m bench http --database-url sqlite+aiosqlite:////tmp/b.db --workers 1

Starts two servers on loopback with the same uvicorn settings (`--workers 2`, no access log): a bare
FastAPI hello (bench/_hello.py) and ejia (bench/_server.py: the real app plus a statement counter).
Seeds one alliance, people, stations, activities and wishes, then runs each hot path with wrk (64
connections; a Python client when wrk is absent) for a fixed time, every round interleaving the
hello with ejia's paths, and prints per path: requests/s, the ratio to the hello of the same round,
p50/p99, the server's CPU milliseconds per request (utime+stime of its workers, from /proc) and SQL
statements per request (an engine event hook in each worker). Writes go to distinct rows (each
request a different person, wish, Idempotency-Key), so every request does the real work; requests
that were not 2xx are counted and shown. The ledger is audited at the end.
"""

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/ejia_bench_http"
SECRET = "bench-http-secret-key-not-for-production"
PATHS = ["wall", "balance", "checkin", "transfer", "signup", "claim", "verify", "stats"]
SENDERS = 64
STATIONS_PER_ROUND = 4

LUA = r"""
local counter = 1
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  reqs = {}
  for line in io.lines(args[1]) do
    local method, path, token, idem, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = {}
    if token ~= "" then headers["Authorization"] = "Bearer " .. token end
    if idem ~= "" then headers["Idempotency-Key"] = idem end
    if body ~= "" then headers["Content-Type"] = "application/json" else body = nil end
    reqs[#reqs + 1] = wrk.format(method, path, headers, body)
  end
  i = id
  step = tonumber(args[2])
end
function request()
  local r = reqs[((i - 1) % #reqs) + 1]
  i = i + step
  return r
end
"""


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", default=PG_URL, help="recreated when it is the default PostgreSQL one")
    p.add_argument("--quick", action="store_true", help="1 round of 4 s per path, smaller seeds")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=float, default=5.0, help="seconds per path per round")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--people", type=int, default=4000)
    p.add_argument("--only", help="comma-separated paths to run (default: all)")
    args = p.parse_args()
    if args.quick:
        args.rounds, args.duration, args.people = 1, 4.0, 1500
    return args


# ---- seeding -----------------------------------------------------------------------------------


@dataclass
class Seed:
    alliance_id: int
    community_id: int
    compound_id: int
    admin_id: int
    people: list[int]
    phones: dict[int, str]
    stations: list[list[int]]  # per round
    activities: list[int]  # per round
    claimables: list[list[int]]  # per round
    confirmed: list[list[int]]  # per round


async def _recreate_pg(url: str) -> None:
    import asyncpg

    name = url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def _seed(database_url: str, *, people: int, rounds: int, per_round: int) -> Seed:
    from datetime import timedelta

    from app import clock
    from app.config import get_settings
    from app.db import Database
    from app.models.activities import Activity
    from app.models.org import OrgKind
    from app.models.stations import Station
    from app.models.user import User
    from app.models.wishes import Wish
    from app.services import ledger
    from app.services import orgs as orgs_service

    db = Database(get_settings().model_copy(update={"database_url": database_url}))
    now = clock.now()
    try:
        async with db.session() as s:
            alliance = await orgs_service.add_org(s, name="压测联盟", kind=OrgKind.alliance, parent=None)
            community = await orgs_service.add_org(
                s, name="压测社区", kind=OrgKind.community, parent=alliance
            )
            compound = await orgs_service.add_org(s, name="压测小区", kind=OrgKind.compound, parent=community)
            admin = User(name="压测管理员", phone="19900000000")
            poster = User(name="压测发布人", phone="19900000001", home_org_id=compound.id)
            users = [
                User(name=f"压测{i}", phone=f"198{i:08d}", home_org_id=compound.id) for i in range(people)
            ]
            s.add_all([admin, poster, *users])
            await s.flush()
            await orgs_service.grant_role(s, user_id=admin.id, org_id=alliance.id, role="admin")
            stations = [
                [
                    Station(org_id=community.id, name=f"压测驿站{r}-{k}", lat=34.28, lng=119.23)
                    for k in range(STATIONS_PER_ROUND)
                ]
                for r in range(rounds)
            ]
            activities = [
                Activity(
                    org_id=community.id,
                    title=f"压测活动{r}",
                    kind="志愿服务",
                    starts_at=now + timedelta(days=1),
                    ends_at=now + timedelta(days=1, hours=2),
                    capacity=10000,
                    created_by_id=admin.id,
                )
                for r in range(rounds)
            ]
            s.add_all([st for row in stations for st in row] + activities)

            def wish(i: int, status: str, claimer: int | None) -> Wish:
                return Wish(
                    org_id=compound.id,
                    poster_id=poster.id,
                    title=f"压测心愿{status}{i}",
                    description="帮忙修理晾衣架",
                    category="生活服务",
                    status=status,
                    published_at=now,
                    claimer_id=claimer,
                    claimed_at=now if claimer else None,
                    done_at=now if claimer else None,
                    confirmed_at=now if claimer else None,
                )

            claimables = [
                [wish(r * per_round + i, "published", None) for i in range(per_round)] for r in range(rounds)
            ]
            confirmed = [
                [wish(r * per_round + i, "confirmed", users[i % people].id) for i in range(per_round)]
                for r in range(rounds)
            ]
            s.add_all([w for row in claimables + confirmed for w in row])
            await s.commit()
            seed = Seed(
                alliance_id=alliance.id,
                community_id=community.id,
                compound_id=compound.id,
                admin_id=admin.id,
                people=[u.id for u in users],
                phones={u.id: u.phone for u in users},
                stations=[[st.id for st in row] for row in stations],
                activities=[a.id for a in activities],
                claimables=[[w.id for w in row] for row in claimables],
                confirmed=[[w.id for w in row] for row in confirmed],
            )
        for uid in seed.people[:SENDERS]:  # the senders of transfers, through the real posting path
            async with db.session() as s:
                await ledger.credit_service(
                    s,
                    org_id=seed.community_id,
                    user_id=uid,
                    minutes=1_000_000,
                    ref_type="bench",
                    ref_id=uid,
                    memo="压测初始余额",
                    actor_id=None,
                )
                await s.commit()
        return seed
    finally:
        await db.dispose()


async def _audit(database_url: str) -> str:
    from app.config import get_settings
    from app.db import Database
    from app.services import ledger

    db = Database(get_settings().model_copy(update={"database_url": database_url}))
    try:
        async with db.session(write=False) as s:
            check = await ledger.verify(s)
        return f"ok={check.ok} transactions={check.transactions} problems={check.problems[:3]}"
    finally:
        await db.dispose()


# ---- requests ----------------------------------------------------------------------------------

Request = tuple[str, str, str, str, str]  # method, path, token, idempotency key, body


def _requests(
    name: str, seed: Seed, round_no: int, tokens: dict[int, str], admin_token: str
) -> list[Request]:
    from app import clock
    from app.services import qr

    api = "/api/v1"
    people = seed.people
    if name == "wall":
        return [
            ("GET", f"{api}/wishes?org_id={seed.compound_id}&limit=20", tokens[u], "", "") for u in people
        ]
    if name == "balance":
        return [("GET", f"{api}/timebank/me", tokens[u], "", "") for u in people]
    if name == "stats":
        return [("GET", f"{api}/orgs/{seed.community_id}/stats", admin_token, "", "")]
    if name == "checkin":
        codes = [qr.live_token("s", sid, at=clock.now())[0] for sid in seed.stations[round_no]]
        return [
            ("POST", f"{api}/checkins", tokens[u], "", json.dumps({"token": code}))
            for code in codes
            for u in people
        ]
    if name == "transfer":
        senders, recipients = people[:SENDERS], people[SENDERS : 2 * SENDERS]
        stamp = f"r{round_no}-{time.time_ns()}"
        return [
            (
                "POST",
                f"{api}/timebank/transfers",
                tokens[senders[n % SENDERS]],
                f"bench-{stamp}-{n}",
                json.dumps({"to_phone": seed.phones[recipients[n % SENDERS]], "minutes": 1}),
            )
            for n in range(20 * len(people))
        ]
    if name == "signup":
        return [
            ("POST", f"{api}/activities/{seed.activities[round_no]}/signup", tokens[u], "", "")
            for u in people
        ]
    if name == "claim":
        shift = round_no * len(seed.claimables[round_no])
        return [
            ("POST", f"{api}/wishes/{wid}/claim", tokens[people[(shift + n) % len(people)]], "", "{}")
            for n, wid in enumerate(seed.claimables[round_no])
        ]
    if name == "verify":
        body = json.dumps({"credit_minutes": 30})
        return [
            ("POST", f"{api}/wishes/{wid}/verify", admin_token, "", body) for wid in seed.confirmed[round_no]
        ]
    raise ValueError(name)


# ---- servers -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _server(module: str, env: dict, workers: int, log_dir: Path):
    port = _free_port()
    log = (log_dir / f"{module}.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", f"{module}:app", "--host", "127.0.0.1", "--port", str(port)]
        + ["--workers", str(workers), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the workers are stopped with it
    )
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        log.close()


def _wait_ready(base: str, path: str, proc) -> None:
    import httpx

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server for {base} exited; see its log")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}{path}", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"{base} did not become ready in 90 s")


def _cpu_ticks(master_pid: int) -> int:
    """utime + stime of the master and its children (the uvicorn workers), in clock ticks."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            text = stat.read_text()
            fields = text[text.rindex(")") + 2 :].split()
            pid, ppid = int(stat.parent.name), int(fields[1])
            if pid == master_pid or ppid == master_pid:
                total += int(fields[11]) + int(fields[12])
    return total


def _server_counts(sql_dir: Path) -> tuple[int, int, int]:
    """(SQL statements, responses, requests received) the ejia workers have counted so far."""
    counts = [0, 0, 0]
    for p in sql_dir.iterdir():
        raw = p.read_bytes()
        for i in range(3):
            counts[i] += int.from_bytes(raw[i * 8 : i * 8 + 8], "little")
    return counts[0], counts[1], counts[2]


# ---- load --------------------------------------------------------------------------------------


@dataclass
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    not_2xx: int
    cpu_ms: float = 0.0
    sql: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def _wrk(base: str, reqs: list[Request], *, duration: float, connections: int, tmp: Path) -> Result:
    threads = 2
    req_file, script = tmp / "requests.tsv", tmp / "requests.lua"
    req_file.write_text("".join("\t".join(r) + "\n" for r in reqs))
    script.write_text(LUA)
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "30s",
            "--latency",
        ]
        + ["-s", str(script)]
        + [base, "--", str(req_file), str(threads)],
        capture_output=True,
        text=True,
        timeout=duration + 60,
    ).stdout
    if os.environ.get("EJIA_BENCH_DEBUG"):
        print(out)
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    if total is None:
        raise SystemExit(f"wrk printed no totals:\n{out}")
    seconds = _ms(total.group(2) + total.group(3)) / 1000
    p50 = re.search(r"50%\s+([\d.]+\w+)", out)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return Result(
        requests=int(total.group(1)),
        seconds=seconds,
        p50_ms=_ms(p50.group(1)) if p50 else 0.0,
        p99_ms=_ms(p99.group(1)) if p99 else 0.0,
        not_2xx=(int(bad.group(1)) if bad else 0) + (sum(map(int, errors.groups())) if errors else 0),
    )


async def _python_load(base: str, reqs: list[Request], *, duration: float, connections: int) -> Result:
    """The fallback where wrk is absent: `connections` clients in a loop (the client is then the ceiling)."""
    import httpx

    latencies: list[float] = []
    bad = 0
    counter = iter(range(10**9))
    deadline = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker():
            nonlocal bad
            while time.perf_counter() < deadline:
                method, path, token, idem, body = reqs[next(counter) % len(reqs)]
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                if idem:
                    headers["Idempotency-Key"] = idem
                if body:
                    headers["Content-Type"] = "application/json"
                t0 = time.perf_counter()
                response = await client.request(method, path, headers=headers, content=body or None)
                latencies.append((time.perf_counter() - t0) * 1000)
                bad += not 200 <= response.status_code < 400

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        seconds = time.perf_counter() - began
    q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else [0.0] * 99
    return Result(requests=len(latencies), seconds=seconds, p50_ms=q[49], p99_ms=q[98], not_2xx=bad)


def _load(base, proc, sql_dir, reqs, args, tmp) -> Result:
    """Drive `reqs` for the duration. For ejia, req/s counts the responses the server started in
    that time (on a starved machine the client may time none of the requests still in flight when
    it stops); CPU and SQL per request are taken once those in-flight requests have drained."""
    cpu0 = _cpu_ticks(proc.pid)
    sql0, served0, _ = _server_counts(sql_dir) if sql_dir else (0, 0, 0)
    if shutil.which("wrk"):
        result = _wrk(base, reqs, duration=args.duration, connections=args.connections, tmp=tmp)
    else:
        result = asyncio.run(_python_load(base, reqs, duration=args.duration, connections=args.connections))
    if not sql_dir:
        time.sleep(0.3)
        result.cpu_ms = (
            (_cpu_ticks(proc.pid) - cpu0) * 1000 / os.sysconf("SC_CLK_TCK") / max(result.requests, 1)
        )
        return result
    result.requests = max(result.requests, _server_counts(sql_dir)[1] - served0)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # until every request received has been answered
        _, served, received = _server_counts(sql_dir)
        if served >= received:
            break
        time.sleep(0.1)
    sql1, served1, _ = _server_counts(sql_dir)
    ticks = _cpu_ticks(proc.pid) - cpu0
    result.sql = (sql1 - sql0) / max(served1 - served0, 1)
    result.cpu_ms = ticks * 1000 / os.sysconf("SC_CLK_TCK") / max(served1 - served0, 1)
    return result


# ---- report ------------------------------------------------------------------------------------

HEADER = f"{'path':<9} {'req/s':>8} {'ratio':>7} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/req':>10} {'SQL/req':>8} {'not 2xx':>8}"


def _line(name: str, r: Result, hello: Result) -> str:
    # p50/p99 are the client's; "-" when no request finished inside the client's window.
    p50, p99 = (f"{r.p50_ms:8.1f}", f"{r.p99_ms:8.1f}") if r.p50_ms else (f"{'-':>8}", f"{'-':>8}")
    return (
        f"{name:<9} {r.rate:8.1f} {r.rate / hello.rate:7.3f} {p50} {p99} "
        f"{r.cpu_ms:10.2f} {r.sql:8.1f} {r.not_2xx:8d}"
    )


def _summary(rounds: list[dict[str, Result]], names: list[str]) -> None:
    print(
        "\nmedian of the rounds (ratio = req/s ÷ the hello's req/s in the same round); markdown for the README:\n"
    )
    print("| path | req/s | ratio to hello | p50 ms | p99 ms | CPU ms/req | SQL/req |")
    print("|---|---|---|---|---|---|---|")
    for name in ["hello", *names]:
        rs = [r[name] for r in rounds]
        ratios = [r[name].rate / r["hello"].rate for r in rounds]

        def med(values):
            return statistics.median(values)

        print(
            f"| {name} | {med([x.rate for x in rs]):.1f} | {med(ratios):.3f} | {med([x.p50_ms for x in rs]):.1f} "
            f"| {med([x.p99_ms for x in rs]):.1f} | {med([x.cpu_ms for x in rs]):.2f} | {med([x.sql for x in rs]):.1f} |"
        )


def main() -> None:
    args = _args()
    names = args.only.split(",") if args.only else PATHS
    started = time.monotonic()
    os.environ.update(
        DATABASE_URL=args.database_url, EJIA_SECRET_KEY=SECRET, EJIA_ENV="dev", EJIA_RUN_SCHEDULER="false"
    )
    from app import migrate
    from app.config import get_settings
    from app.security import issue_access_token

    if args.database_url == PG_URL:
        asyncio.run(_recreate_pg(args.database_url))
    migrate.upgrade(args.database_url)
    per_round = max(500, int(args.duration * 600))
    seed = asyncio.run(_seed(args.database_url, people=args.people, rounds=args.rounds, per_round=per_round))
    settings = get_settings()
    tokens = {uid: issue_access_token(settings, uid) for uid in seed.people}
    admin_token = issue_access_token(settings, seed.admin_id)
    print(
        f"seeded {len(seed.people)} people, {per_round} wishes to claim and {per_round} to verify per round "
        f"in {time.monotonic() - started:.0f} s; load: {'wrk' if shutil.which('wrk') else 'Python client'}, "
        f"{args.connections} connections, {args.workers} workers, {args.duration:g} s per path, {args.rounds} rounds"
    )
    tmp = Path(tempfile.mkdtemp(prefix="ejia-bench-http-"))
    sql_dir = tmp / "sql"
    sql_dir.mkdir()
    env = dict(os.environ, EJIA_BENCH_SQL_DIR=str(sql_dir))
    rounds: list[dict[str, Result]] = []
    with (
        _server("bench._hello", dict(os.environ), args.workers, tmp) as (hello_base, hello_proc),
        _server("bench._server", env, args.workers, tmp) as (ejia_base, ejia_proc),
    ):
        _wait_ready(hello_base, "/", hello_proc)
        _wait_ready(ejia_base, "/readyz", ejia_proc)
        warm = argparse.Namespace(**{**vars(args), "duration": 3.0})
        _load(hello_base, hello_proc, None, [("GET", "/", "", "", "")], warm, tmp)
        _load(ejia_base, ejia_proc, sql_dir, _requests("wall", seed, 0, tokens, admin_token), warm, tmp)
        for round_no in range(args.rounds):
            results = {"hello": _load(hello_base, hello_proc, None, [("GET", "/", "", "", "")], args, tmp)}
            print(f"\nround {round_no + 1} (ejia on {args.database_url.split('://')[0]})\n{HEADER}")
            print(_line("hello", results["hello"], results["hello"]), flush=True)
            for name in names:
                reqs = _requests(name, seed, round_no, tokens, admin_token)
                results[name] = _load(ejia_base, ejia_proc, sql_dir, reqs, args, tmp)
                print(_line(name, results[name], results["hello"]), flush=True)
            rounds.append(results)
    _summary(rounds, names)
    print(f"\naudit-ledger after the run: {asyncio.run(_audit(args.database_url))}")
    print(f"whole run {time.monotonic() - started:.0f} s; server logs in {tmp}")


if __name__ == "__main__":
    main()
