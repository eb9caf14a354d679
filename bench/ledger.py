"""The ledger: postings per second, and balance reads at 1k vs 100k transactions (should stay flat).

Two ledgers are built side by side, one of 1k and one of 100k transactions, and the read rounds
alternate between them, so a busy machine slows both alike and the ratio stays honest.

    python -m bench ledger                      # a fresh SQLite temp file
    python -m bench ledger --pg                 # also PostgreSQL (database ejia_bench_ledger, recreated)
    python -m bench ledger --transactions 20000 --real 300

Real postings go through `app.services.ledger` one use case at a time (lock the accounts, write,
commit) and are timed. To reach 100k quickly, the middle of the history is
filled in bulk with rows computed exactly as `post` computes them (balances, hashes, the chain),
then the whole ledger is verified with `ledger.verify`, so the filled rows are proven sound.
"""

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/ejia_bench_ledger"
REGULARS = 10
PG_SMALL_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/ejia_bench_ledger_1k"


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--transactions", type=int, default=100_000, help="ledger size for the second read timing")
    p.add_argument("--first", type=int, default=1_000, help="ledger size for the first read timing")
    p.add_argument("--real", type=int, default=1_000, help="real postings timed at each size")
    p.add_argument("--people", type=int, default=1_000)
    p.add_argument("--reads", type=int, default=2_000)
    p.add_argument("--pairs", type=int, default=64, help="disjoint transfers run serially, then at once")
    p.add_argument("--pg", action="store_true", help="run on PostgreSQL as well")
    return p.parse_args()


async def _recreate_pg() -> None:
    import asyncpg

    admin = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="postgres")
    try:
        for name in ("ejia_bench_ledger", "ejia_bench_ledger_1k"):
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def _setup(db, people: int):
    from app.models.org import OrgKind
    from app.models.user import User
    from app.services import ledger
    from app.services import orgs as orgs_service

    async with db.session() as s:
        alliance = await orgs_service.add_org(s, name="基准联盟", kind=OrgKind.alliance, parent=None)
        community = await orgs_service.add_org(s, name="基准社区", kind=OrgKind.community, parent=alliance)
        users = [User(name=f"志愿者{i}", phone=f"136{i:08d}") for i in range(people)]
        s.add_all(users)
        await s.flush()
        for u in users:
            await ledger.person_account(s, user_id=u.id)
        await ledger.issuing_account(s, org_id=community.id)
        await s.commit()
        return community.id, [u.id for u in users]


async def _real_postings(db, *, org_id: int, user_ids: list[int], count: int, start_ref: int) -> float:
    """`count` real use cases (half credits, half transfers), each its own transaction; returns txn/s."""
    from app.models.timebank import TxnKind
    from app.services import ledger

    rng = random.Random(start_ref)
    began = time.perf_counter()
    for i in range(count):
        async with db.session() as s:
            if i % 2 == 0:
                await ledger.credit_service(
                    s,
                    org_id=org_id,
                    user_id=rng.choice(user_ids),
                    minutes=60,
                    ref_type="bench",
                    ref_id=start_ref + i,
                    memo="基准服务",
                    actor_id=None,
                )
            else:
                a, b = rng.sample(user_ids, 2)
                src = await ledger.person_account(s, user_id=a)
                dst = await ledger.person_account(s, user_id=b)
                try:
                    await ledger.post(
                        s, kind=TxnKind.transfer, legs=[(src, -1), (dst, 1)], memo="转赠", actor_id=a
                    )
                except ledger.InsufficientBalance:
                    await ledger.credit_service(
                        s,
                        org_id=org_id,
                        user_id=a,
                        minutes=30,
                        ref_type="bench",
                        ref_id=start_ref + i,
                        memo="基准服务",
                        actor_id=None,
                    )
            await s.commit()
    return count / (time.perf_counter() - began)


async def _bulk_fill(db, *, org_id: int, upto: int) -> tuple[int, float]:
    """Append credits until the ledger holds `upto` txns, computed as `post` would; returns (added, txn/s)."""
    from sqlalchemy import func, insert, text
    from sqlmodel import select

    from app import clock
    from app.models.timebank import LedgerAccount, LedgerEntry, LedgerTxn
    from app.services import ledger

    began = time.perf_counter()
    async with db.session() as s:
        issuer = await ledger.issuing_account(s, org_id=org_id)
        accounts = {a.id: a for a in (await s.exec(select(LedgerAccount).with_for_update())).all()}
        people = sorted((a for a in accounts.values() if a.kind == "person"), key=lambda a: a.user_id)
        regulars = people[:REGULARS]  # half of all service: their statements are full pages at any size
        next_txn = ((await s.exec(select(func.max(LedgerTxn.id)))).one() or 0) + 1
        next_entry = ((await s.exec(select(func.max(LedgerEntry.id)))).one() or 0) + 1
        seq = (await s.exec(select(func.count()).select_from(LedgerTxn))).one()
        balance = {a.id: a.balance_minutes for a in accounts.values()}
        earned = {a.id: a.earned_minutes for a in accounts.values()}
        heads = {a.id: (a.version, a.last_hash) for a in accounts.values()}
        added = max(0, upto - seq)
        rng = random.Random(7)
        conn = await s.connection()
        txns, entries = [], []
        for i in range(added):
            person = (
                regulars[rng.randrange(len(regulars))]
                if rng.random() < 0.5
                else people[rng.randrange(len(people))]
            )
            minutes = 30 * rng.randint(1, 4)
            seq += 1
            balance[issuer.id] -= minutes
            balance[person.id] += minutes
            earned[person.id] += minutes
            legs = sorted(
                [
                    (issuer.id, -minutes, balance[issuer.id], heads[issuer.id][0] + 1, heads[issuer.id][1]),
                    (person.id, minutes, balance[person.id], heads[person.id][0] + 1, heads[person.id][1]),
                ]
            )
            now = clock.now()
            digest = ledger.txn_hash(
                kind="earn",
                memo="批量服务",
                actor_id=None,
                org_id=org_id,
                ref_type="bulk",
                ref_id=seq,
                ref_user_id=person.user_id,
                created_at=now,
                entries=legs,
            )
            txns.append(
                {
                    "id": next_txn,
                    "kind": "earn",
                    "memo": "批量服务",
                    "actor_id": None,
                    "org_id": org_id,
                    "ref_type": "bulk",
                    "ref_id": seq,
                    "ref_user_id": person.user_id,
                    "created_at": now,
                    "hash": digest,
                }
            )
            for account_id, amount, after, version, prev in legs:
                entries.append(
                    {
                        "id": next_entry,
                        "txn_id": next_txn,
                        "account_id": account_id,
                        "amount_minutes": amount,
                        "balance_after_minutes": after,
                        "account_version": version,
                        "prev_hash": prev,
                    }
                )
                heads[account_id] = (version, digest)
                next_entry += 1
            next_txn += 1
            if len(txns) >= 5000 or i == added - 1:
                await conn.execute(insert(LedgerTxn), txns)
                await conn.execute(insert(LedgerEntry), entries)
                txns, entries = [], []
        for account_id, value in balance.items():
            account = accounts[account_id]
            account.balance_minutes, account.earned_minutes = value, earned[account_id]
            account.version, account.last_hash = heads[account_id]
            s.add(account)
        if s.bind.dialect.name == "postgresql":
            for table in ("ledger_txns", "ledger_entries"):
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        await s.commit()
    return added, added / max(time.perf_counter() - began, 1e-9)


async def _read_round(db, user_ids: list[int], reads: int, seed: int) -> tuple[float, float]:
    """One round: (µs per balance read of random people, µs per first statement page of the regulars)."""
    from app.models.user import User
    from app.pagination import PageParams
    from app.services import ledger
    from app.services import timebank as timebank_service

    picks = [random.Random(seed).choice(user_ids) for _ in range(reads)]
    async with db.session(write=False) as s:
        began = time.perf_counter()
        for uid in picks:
            s.expunge_all()
            await ledger.find_person_account(s, user_id=uid)
        balance_us = (time.perf_counter() - began) / len(picks) * 1e6
        began = time.perf_counter()
        for uid in [sorted(user_ids)[i % REGULARS] for i in range(50)]:
            await timebank_service.statement(s, user=User(id=uid), params=PageParams(limit=20))
        page_us = (time.perf_counter() - began) / 50 * 1e6
    return balance_us, page_us


async def _time_reads(small, small_users, large, large_users, reads: int, rounds: int = 7):
    """Alternate rounds on the small and the large ledger (so machine load hits both alike); medians."""
    results = {"small": [], "large": []}
    for r in range(rounds):
        results["small"].append(await _read_round(small, small_users, reads // rounds, r))
        results["large"].append(await _read_round(large, large_users, reads // rounds, r))
    med = {
        k: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v))
        for k, v in results.items()
    }
    return med["small"], med["large"]


async def _disjoint_transfers(db, *, org_id: int, user_ids: list[int], pairs: int) -> tuple[float, float]:
    """`pairs` transfers between disjoint pairs of people, first one after another, then all at once
    (each its own session and commit); returns (serial s, parallel s). No global lock: on PostgreSQL
    the parallel burst overlaps; SQLite has one writer, so there the two are alike by design."""
    from app.models.timebank import TxnKind
    from app.services import ledger

    people = user_ids[-2 * pairs :]
    async with db.session() as s:
        for i, uid in enumerate(people[::2]):
            await ledger.credit_service(
                s, org_id=org_id, user_id=uid, minutes=600, ref_type="pairs", ref_id=i, memo="", actor_id=None
            )
        await s.commit()

    async def one(giver: int, taker: int) -> None:
        async with db.session() as s:
            src = await ledger.person_account(s, user_id=giver)
            dst = await ledger.person_account(s, user_id=taker)
            await ledger.post(
                s, kind=TxnKind.transfer, legs=[(src, -1), (dst, 1)], memo="转赠", actor_id=giver
            )
            await s.commit()

    couples = list(zip(people[::2], people[1::2], strict=True))
    began = time.perf_counter()
    for giver, taker in couples:
        await one(giver, taker)
    serial = time.perf_counter() - began
    began = time.perf_counter()
    await asyncio.gather(*(one(giver, taker) for giver, taker in couples))
    return serial, time.perf_counter() - began


async def _verify(db) -> tuple[bool, int, float]:
    from app.services import ledger

    began = time.perf_counter()
    async with db.session(write=False) as s:
        check = await ledger.verify(s)
    return check.ok, check.transactions, time.perf_counter() - began


async def run(small_url: str, large_url: str, a: argparse.Namespace) -> None:
    from app.config import get_settings
    from app.db import Database

    small = Database(get_settings().model_copy(update={"database_url": small_url}))
    large = Database(get_settings().model_copy(update={"database_url": large_url}))
    try:
        small_org, small_users = await _setup(small, a.people)
        large_org, large_users = await _setup(large, a.people)
        tps_small = await _real_postings(
            small, org_id=small_org, user_ids=small_users, count=min(a.real, a.first), start_ref=1
        )
        await _bulk_fill(small, org_id=small_org, upto=a.first)
        added, bulk_tps = await _bulk_fill(large, org_id=large_org, upto=a.transactions - a.real)
        tps_large = await _real_postings(
            large, org_id=large_org, user_ids=large_users, count=a.real, start_ref=10_000_000
        )
        (read_small, page_small), (read_large, page_large) = await _time_reads(
            small, small_users, large, large_users, a.reads
        )
        rounds = [
            await _disjoint_transfers(small, org_id=small_org, user_ids=small_users, pairs=a.pairs)
            for _ in range(3)
        ]
        serial_s, parallel_s = min(r[0] for r in rounds), min(r[1] for r in rounds)
        ok, total, verify_s = await _verify(large)
        small_ok, _, _ = await _verify(small)
    finally:
        await small.dispose()
        await large.dispose()
    kind = "PostgreSQL" if large_url.startswith("postgresql") else "SQLite"
    print(f"== ledger on {kind} ==")
    print(
        f"real postings (one use case, one commit each): {tps_small:6.0f} txn/s into a {a.first}-txn ledger, "
        f"{tps_large:6.0f} txn/s into a {total}-txn ledger"
    )
    print(f"bulk fill (history setup, 5000 rows a statement): {added} txns at {bulk_tps:.0f} txn/s")
    print(
        f"balance read:  {read_small:7.1f} µs at {a.first} txns, {read_large:7.1f} µs at {total} txns, "
        f"ratio {read_large / read_small:.2f}"
    )
    print(
        f"statement page (20 newest): {page_small:7.1f} µs at {a.first} txns, {page_large:7.1f} µs at {total} txns, "
        f"ratio {page_large / page_small:.2f}"
    )
    print(
        f"{a.pairs} transfers between disjoint pairs (best of 3): one after another {serial_s * 1000:6.0f} ms, "
        f"all at once {parallel_s * 1000:6.0f} ms, {serial_s / parallel_s:.1f}x (no global lock); "
        f"audit after: {'OK' if small_ok else 'BROKEN'}"
    )
    print(f"full audit (ledger.verify): {'OK' if ok else 'BROKEN'}, {total} txns in {verify_s:.1f} s")


def main() -> None:
    import os

    a = _args()
    os.environ.setdefault("EJIA_ENV", "test")
    from app import migrate

    tmp = tempfile.mkdtemp(prefix="ejia-bench-ledger-")
    pairs = [(f"sqlite+aiosqlite:///{tmp}/small.db", f"sqlite+aiosqlite:///{tmp}/large.db")]
    if a.pg:
        asyncio.run(_recreate_pg())
        pairs.append((PG_SMALL_URL, PG_URL))
    for small_url, large_url in pairs:
        migrate.upgrade(small_url)
        migrate.upgrade(large_url)
        asyncio.run(run(small_url, large_url, a))


if __name__ == "__main__":
    main()
