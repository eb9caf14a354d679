"""A county's year at scale on PostgreSQL: stats p50/p99 and exports' time and peak memory.

    python -m bench scale                  # 100k wishes, 500k txns (1M ledger entries), 300k check-ins
    python -m bench scale --wishes 20000 --txns 100000 --checkins 60000 --rounds 10   # a quicker look

Recreates the database `ejia_bench_scale`, migrates it and seeds, with set-based INSERT … SELECT
over generate_series, one alliance of 10 communities and 50 compounds, 20k people, wishes spread over
the past year in every state with coherent milestone times (posted ≤ published ≤ claimed ≤ done ≤
verified, a publish event and a claim row for each), activities with attendances, station check-ins
and a ledger of two-legged earn txns. The ledger rows are filler for size (their hashes are not a
chain, so it is not audited here; `python -m bench ledger` proves real postings at 100k).

Then the real app, in this process over ASGI with its lifespan, answers as the alliance admin:
`GET /orgs/{alliance}/stats` and `/orgs/{community}/stats` for the year (p50/p99 over the rounds, and
SQL statements per request), the cuts, and the exports: the 100k-row needs list (xlsx) and the yearly
workbook, each with its time and the process's peak RSS before and after (ru_maxrss).
"""

import argparse
import asyncio
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/ejia_bench_scale"
SECRET = "bench-scale-secret-key-not-for-production"


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--wishes", type=int, default=100_000)
    p.add_argument("--txns", type=int, default=500_000, help="two entries each: 1M entries by default")
    p.add_argument("--checkins", type=int, default=300_000)
    p.add_argument("--people", type=int, default=20_000)
    p.add_argument("--rounds", type=int, default=20, help="timed requests per stats path")
    return p.parse_args()


async def _recreate() -> None:
    import asyncpg

    admin = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="postgres")
    try:
        await admin.execute('DROP DATABASE IF EXISTS "ejia_bench_scale" WITH (FORCE)')
        await admin.execute('CREATE DATABASE "ejia_bench_scale"')
    finally:
        await admin.close()


# Each statement takes :n (rows) and the org ids as arrays; times are spread over the past 365 days.
SEED = [
    (
        "people",
        """INSERT INTO users (name, phone, home_org_id, is_party_member, skills, elderly_mode, token_version,
                              created_at)
           SELECT '居民' || g, '139' || lpad(g::text, 8, '0'), (CAST(:compounds AS int[]))[1 + g % cardinality(CAST(:compounds AS int[]))],
                  g % 3 = 0, '[]', false, 0, now() - interval '400 days'
           FROM generate_series(1, :people) g""",
    ),
    (
        "wishes",
        """INSERT INTO wishes (org_id, poster_id, title, description, category, status, photos, created_at,
                               updated_at, published_at, first_published_at, claimer_id, claimed_at,
                               first_claimed_at, done_at, confirmed_at, verified_at, credit_minutes)
           SELECT org_id, poster, '微心愿' || g, '', (ARRAY['助老','助学','助残','环境','其他'])[1 + g % 5],
                  (ARRAY['submitted','published','claimed','done','confirmed','verified','verified','verified'])[1 + g % 8],
                  '[]', posted, posted,
                  CASE WHEN g % 8 >= 1 THEN posted + interval '1 day' END,
                  CASE WHEN g % 8 >= 1 THEN posted + interval '1 day' END,
                  CASE WHEN g % 8 >= 2 THEN helper END,
                  CASE WHEN g % 8 >= 2 THEN posted + interval '2 days' END,
                  CASE WHEN g % 8 >= 2 THEN posted + interval '2 days' END,
                  CASE WHEN g % 8 >= 3 THEN posted + interval '4 days' END,
                  CASE WHEN g % 8 >= 4 THEN posted + interval '5 days' END,
                  CASE WHEN g % 8 >= 5 THEN posted + interval '6 days' END,
                  CASE WHEN g % 8 >= 5 THEN 30 * (1 + g % 4) END
           FROM (SELECT g, (CAST(:compounds AS int[]))[1 + g % cardinality(CAST(:compounds AS int[]))] AS org_id,
                        1 + g % :people AS poster, 1 + (g * 7) % :people AS helper,
                        now() - (g % 365) * interval '1 day' - (g % 600) * interval '1 minute' AS posted
                 FROM generate_series(1, :wishes) g) s""",
    ),
    (
        "publish events",
        """INSERT INTO wish_events (wish_id, actor_id, at, action, from_status, to_status)
           SELECT id, NULL, published_at, 'publish', 'submitted', 'published' FROM wishes
           WHERE published_at IS NOT NULL""",
    ),
    (
        "claims",
        """INSERT INTO wish_claims (wish_id, user_id, claimed_at, promise_date)
           SELECT id, claimer_id, claimed_at, (claimed_at + interval '7 days')::date FROM wishes
           WHERE claimer_id IS NOT NULL""",
    ),
    (
        "activities",
        """INSERT INTO activities (org_id, title, kind, description, starts_at, ends_at, location, capacity,
                                   signed_up, credit_minutes, signup_required, created_at, closed_at)
           SELECT (CAST(:compounds AS int[]))[1 + g % cardinality(CAST(:compounds AS int[]))], '志愿活动' || g, 'volunteer', '',
                  now() - (g % 365) * interval '1 day', now() - (g % 365) * interval '1 day' + interval '2 hours',
                  '社区广场', 0, 0, 120, false, now() - interval '400 days',
                  now() - (g % 365) * interval '1 day' + interval '3 hours'
           FROM generate_series(1, :activities) g""",
    ),
    (
        "attendances",
        """INSERT INTO activity_attendances (activity_id, user_id, method, signed_in_at, signed_out_at,
                                             credited_minutes, credited_at)
           SELECT a.id, 1 + (a.id * 37 + k) % :people, 'scan', a.starts_at, a.ends_at, 120, a.closed_at
           FROM activities a CROSS JOIN generate_series(1, 40) k""",
    ),
    (
        "stations",
        """INSERT INTO stations (org_id, name, address, lat, lng, radius_m, open_hours, phone, services, status,
                                 card_enabled, card_version, created_at)
           SELECT c, '红色驿站' || c, '', 30.0, 120.0, 200, '08:00-18:00', '', '[]', 'open', false, 1, now()
           FROM unnest(CAST(:compounds AS int[])) c""",
    ),
    (
        "check-ins",
        """INSERT INTO checkins (user_id, code_key, kind, station_id, at)
           SELECT 1 + g % :people, 'bench:' || g, 'station', (SELECT min(id) FROM stations) + g % :stations,
                  now() - (g % 365) * interval '1 day'
           FROM generate_series(1, :checkins) g""",
    ),
    (
        "ledger accounts",
        """INSERT INTO ledger_accounts (kind, user_id, org_id, balance_minutes, earned_minutes, spent_minutes,
                                        version, last_hash, created_at)
           SELECT 'person', id, NULL, 0, 0, 0, 0, repeat('0', 64), now() FROM users
           UNION ALL SELECT 'issuing', NULL, c, 0, 0, 0, 0, repeat('0', 64), now() FROM unnest(CAST(:communities AS int[])) c""",
    ),
    (
        "ledger txns",
        """INSERT INTO ledger_txns (kind, memo, org_id, ref_type, ref_id, ref_user_id, created_at, hash)
           SELECT 'earn', '服务', (CAST(:communities AS int[]))[1 + g % cardinality(CAST(:communities AS int[]))], 'bench', g, 0,
                  now() - (g % 365) * interval '1 day', md5(g::text) || md5((-g)::text)
           FROM generate_series(1, :txns) g""",
    ),
    (
        "ledger entries",
        """INSERT INTO ledger_entries (txn_id, account_id, amount_minutes, balance_after_minutes, account_version,
                                       prev_hash)
           SELECT t.id, a.id, side * 30, 0, t.id, repeat('0', 64)
           FROM ledger_txns t
           CROSS JOIN (VALUES (1), (-1)) v(side)
           JOIN ledger_accounts a ON (side = 1 AND a.user_id = 1 + t.id % :people)
                                  OR (side = -1 AND a.kind = 'issuing' AND a.org_id = t.org_id)""",
    ),
]


async def _seed(a: argparse.Namespace) -> dict[str, int]:
    from sqlalchemy import text

    from app.config import get_settings
    from app.db import Database
    from app.models.org import OrgKind, Role
    from app.models.user import User
    from app.services import orgs as orgs_service

    db = Database(get_settings())
    try:
        async with db.session() as s:
            alliance = await orgs_service.add_org(s, name="基准县联盟", kind=OrgKind.alliance, parent=None)
            communities, compounds = [], []
            for i in range(10):
                c = await orgs_service.add_org(s, name=f"社区{i}", kind=OrgKind.community, parent=alliance)
                communities.append(c.id)
                for j in range(5):
                    compounds.append(
                        (
                            await orgs_service.add_org(
                                s, name=f"小区{i}-{j}", kind=OrgKind.compound, parent=c
                            )
                        ).id
                    )
            await s.commit()
        params = {
            "compounds": compounds,
            "communities": communities,
            "people": a.people,
            "wishes": a.wishes,
            "activities": max(1, a.checkins // 40 // 4),
            "checkins": a.checkins,
            "stations": len(compounds),
            "txns": a.txns,
        }
        async with db.engine.begin() as conn:
            for name, sql in SEED:
                began = time.perf_counter()
                used = {k: v for k, v in params.items() if f":{k}" in sql}
                result = await conn.execute(text(sql), used)
                print(
                    f"  seeded {name:<16} {result.rowcount:>9} rows in {time.perf_counter() - began:5.1f} s"
                )
            await conn.execute(text("ANALYZE"))
        async with db.session() as s:
            admin = User(name="县联盟管理员", phone="13700000000")
            s.add(admin)
            await s.flush()
            s.add(Role(user_id=admin.id, org_id=alliance.id, role="admin"))
            await s.commit()
            return {"alliance": alliance.id, "community": communities[0], "admin": admin.id}
    finally:
        await db.dispose()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _measure(ids: dict[str, int], a: argparse.Namespace) -> None:
    import httpx
    from sqlalchemy import event

    from app.config import get_settings
    from app.main import create_app
    from app.models.user import User
    from app.services.auth import token_for

    settings = get_settings()
    app = create_app(settings)
    statements = [0]
    async with app.router.lifespan_context(app):
        event.listen(
            app.state.db.engine.sync_engine,
            "before_cursor_execute",
            lambda *_: statements.__setitem__(0, statements[0] + 1),
        )
        token = token_for(settings, User(id=ids["admin"], name="", token_version=0))
        headers = {"Authorization": f"Bearer {token}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as client:
            year = time.strftime("%Y")
            period = f"from={int(year) - 1}{time.strftime('-%m-%d')}&to={year}{time.strftime('-%m-%d')}"
            for label, path in [
                ("stats, alliance, a year", f"/api/v1/orgs/{ids['alliance']}/stats?{period}"),
                ("stats, community, a year", f"/api/v1/orgs/{ids['community']}/stats?{period}"),
                ("cuts, alliance, a year", f"/api/v1/orgs/{ids['alliance']}/stats/cuts?{period}"),
            ]:
                await client.get(path, headers=headers)  # warm: statements prepared, caches filled
                times, before = [], statements[0]
                for _ in range(a.rounds):
                    began = time.perf_counter()
                    r = await client.get(path, headers=headers)
                    times.append((time.perf_counter() - began) * 1000)
                    assert r.status_code == 200, r.text[:300]
                times.sort()
                p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
                print(
                    f"{label:<26} p50 {statistics.median(times):7.1f} ms  p99 {p99:7.1f} ms  "
                    f"{(statements[0] - before) / a.rounds:4.1f} SQL/request"
                )
            for label, path in [
                ("needs list xlsx", f"/api/v1/orgs/{ids['alliance']}/lists/needs.xlsx"),
                ("yearly workbook", f"/api/v1/orgs/{ids['alliance']}/stats/yearly.xlsx?year={year}"),
            ]:
                rss_before = _rss_mb()
                began = time.perf_counter()
                r = await client.get(path, headers=headers)
                took = time.perf_counter() - began
                assert r.status_code == 200, r.text[:300]
                print(
                    f"{label:<26} {took:6.1f} s  {len(r.content) / 1e6:5.1f} MB  "
                    f"peak RSS {rss_before:5.0f} → {_rss_mb():5.0f} MB"
                )


def main() -> None:
    import os

    a = _args()
    os.environ["EJIA_ENV"] = "test"
    os.environ["DATABASE_URL"] = URL
    os.environ["EJIA_SECRET_KEY"] = SECRET
    os.environ["EJIA_RUN_SCHEDULER"] = "false"
    from app import migrate
    from app.config import get_settings

    get_settings.cache_clear()
    asyncio.run(_recreate())
    migrate.upgrade(URL)
    print(
        f"== scale on PostgreSQL: {a.wishes} wishes, {a.txns} txns ({2 * a.txns} entries), {a.checkins} check-ins =="
    )
    ids = asyncio.run(_seed(a))
    asyncio.run(_measure(ids, a))


if __name__ == "__main__":
    main()
