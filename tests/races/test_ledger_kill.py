"""A process killed mid-burst (SIGKILL: no clean-up, transactions cut wherever they were) leaves a ledger
that still audits: each posting is one transaction, and the per-account chains hold (issue 12)."""

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlmodel import func, select

from app.models.timebank import LedgerTxn
from app.services import ledger
from tests.conftest import TEST_DB_URL
from tests.factories import make_tree, make_user

ROOT = Path(__file__).resolve().parents[2]
BURST = textwrap.dedent(
    """
    import asyncio, random, sys
    from app.config import get_settings
    from app.db import Database
    from app.services import ledger

    async def main(ids):
        db = Database(get_settings())
        rng = random.Random(1)
        while True:  # until killed
            giver, taker = rng.sample(ids, 2)
            async with db.session() as s:
                src = await ledger.person_account(s, user_id=giver)
                dst = await ledger.person_account(s, user_id=taker)
                try:
                    await ledger.post(s, kind="transfer", legs=[(src, -1), (dst, 1)], memo="转赠", actor_id=giver)
                    await s.commit()
                except ledger.InsufficientBalance:
                    await s.rollback()

    asyncio.run(main([int(i) for i in sys.argv[1:]]))
    """
)


async def _txns(live) -> int:
    async with live.db.session(write=False) as s:
        return (await s.exec(select(func.count()).select_from(LedgerTxn))).one()


async def test_a_burst_killed_midway_leaves_a_sound_ledger(live):
    async with live.db.session() as s:
        tree = await make_tree(s)
        people = [await make_user(s, name=f"居民{i}", home=tree.compound) for i in range(8)]
        for i, p in enumerate(people):
            await ledger.credit_service(
                s,
                org_id=tree.compound.id,
                user_id=p.id,
                minutes=50,
                ref_type="wish",
                ref_id=i,
                memo="",
                actor_id=None,
            )
        await s.commit()
    start = await _txns(live)
    env = {**os.environ, "DATABASE_URL": TEST_DB_URL}
    burst = subprocess.Popen(  # noqa: ASYNC220 - a separate process on purpose: it is killed, not awaited
        [sys.executable, "-c", BURST, *(str(p.id) for p in people)],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(300):  # up to 30 s for some postings to land
            await asyncio.sleep(0.1)
            if await _txns(live) >= start + 30:
                break
        assert burst.poll() is None, "the burst stopped by itself"
    finally:
        burst.send_signal(signal.SIGKILL)
        burst.wait()
    assert await _txns(live) >= start + 30
    async with live.db.session(write=False) as s:
        check = await ledger.verify(s)
    assert check.ok, check.problems
    assert check.entries_sum == 0
