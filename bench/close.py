"""Closing an activity of 300 attendees: milliseconds and SQL statements per close (issue 12, item 3).

    python -m bench close                 # a fresh SQLite temp file
    python -m bench close --pg            # also PostgreSQL (database ejia_bench_close, recreated)
    python -m bench close --attendees 1000 --rounds 5

Each round closes a fresh activity (begun three hours ago) whose attendees all signed in at its start,
through the use case the organiser's button calls (`activity_attendance.close_activity`: crediting
every attendee, one transaction, one commit). The first round also makes every person's ledger
account; later rounds credit accounts that exist. Statements are counted with an engine event hook
(transaction control not counted). After the rounds the whole ledger is verified.
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/ejia_bench_close"
CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--attendees", type=int, default=300)
    p.add_argument("--rounds", type=int, default=5, help="activities closed, one after another")
    p.add_argument("--pg", action="store_true", help="run on PostgreSQL as well")
    return p.parse_args()


async def _recreate_pg() -> None:
    import asyncpg

    admin = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="postgres")
    try:
        await admin.execute('DROP DATABASE IF EXISTS "ejia_bench_close" WITH (FORCE)')
        await admin.execute('CREATE DATABASE "ejia_bench_close"')
    finally:
        await admin.close()


async def _setup(db, attendees: int):
    from app.models.org import OrgKind
    from app.models.user import User
    from app.services import orgs as orgs_service

    async with db.session() as s:
        alliance = await orgs_service.add_org(s, name="基准联盟", kind=OrgKind.alliance, parent=None)
        community = await orgs_service.add_org(s, name="基准社区", kind=OrgKind.community, parent=alliance)
        organiser = User(name="组织者", phone="13500000000")
        people = [User(name=f"志愿者{i}", phone=f"136{i:08d}") for i in range(attendees)]
        s.add_all([organiser, *people])
        await s.flush()
        await orgs_service.grant_role(s, user_id=organiser.id, org_id=community.id, role="staff")
        await s.commit()
        return community.id, organiser.id, [u.id for u in people]


async def _activity(db, *, org_id: int, organiser_id: int, user_ids: list[int], n: int) -> int:
    from app import clock
    from app.models.activities import Activity, Attendance

    async with db.session() as s:
        start = clock.now() - timedelta(hours=3)
        act = Activity(
            org_id=org_id,
            title=f"基准活动{n}",
            kind="志愿服务",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            capacity=len(user_ids),
            credit_minutes=120,
            created_by_id=organiser_id,
        )
        s.add(act)
        await s.flush()
        s.add_all(
            Attendance(
                activity_id=act.id,
                user_id=u,
                method="code",
                signed_in_at=start,
                signed_out_at=start + timedelta(minutes=30 + i % 90),
            )
            for i, u in enumerate(user_ids)
        )
        await s.commit()
        return act.id


async def run(url: str, a: argparse.Namespace) -> None:
    from sqlalchemy import event

    from app.config import get_settings
    from app.db import Database
    from app.models.user import User
    from app.services import activity_attendance, ledger

    db = Database(get_settings().model_copy(update={"database_url": url}))
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if not statement.lstrip().upper().startswith(CONTROL):
            seen.append(statement)

    try:
        org_id, organiser_id, user_ids = await _setup(db, a.attendees)
        timings: list[tuple[float, int, int]] = []
        for n in range(a.rounds):
            activity_id = await _activity(
                db, org_id=org_id, organiser_id=organiser_id, user_ids=user_ids, n=n
            )
            async with db.session() as s:
                actor = await s.get(User, organiser_id)
                seen.clear()
                event.listen(db.engine.sync_engine, "before_cursor_execute", count)
                began = time.perf_counter()
                closed = await activity_attendance.close_activity(s, activity_id=activity_id, actor=actor)
                took = time.perf_counter() - began
                event.remove(db.engine.sync_engine, "before_cursor_execute", count)
            timings.append((took, len(seen), closed.credited))
        began = time.perf_counter()
        async with db.session(write=False) as s:
            check = await ledger.verify(s)
        verify_s = time.perf_counter() - began
    finally:
        await db.dispose()
    kind = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"== closing an activity of {a.attendees} attendees on {kind} ==")
    for n, (took, statements, credited) in enumerate(timings):
        note = " (makes every person's account)" if n == 0 else ""
        print(
            f"round {n + 1}: {took * 1000:8.1f} ms, {statements:5d} SQL statements, {credited} credited{note}"
        )
    later = [t for t, _, _ in timings[1:]] or [timings[0][0]]
    print(f"median of later rounds: {statistics.median(later) * 1000:.1f} ms")
    print(
        f"ledger.verify after: {'OK' if check.ok else 'BROKEN'}, {check.transactions} txns in {verify_s:.1f} s"
    )


def main() -> None:
    import os

    a = _args()
    os.environ.setdefault("EJIA_ENV", "test")
    from app import migrate

    tmp = tempfile.mkdtemp(prefix="ejia-bench-close-")
    urls = [f"sqlite+aiosqlite:///{tmp}/close.db"]
    if a.pg:
        asyncio.run(_recreate_pg())
        urls.append(PG_URL)
    for url in urls:
        migrate.upgrade(url)
        asyncio.run(run(url, a))


if __name__ == "__main__":
    main()
