"""Timed jobs (overdue claims, expiries, escalations): run in-process every minute and by `ejia tick`.

Each job is an async function taking a session; it must be safe to run in several processes at
once (conditional updates, never read-then-write), so no leader election is needed.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import Database
from app.services import action_items, event_timers, push, shifts, wish_timers

log = logging.getLogger("ejia.scheduler")

Job = Callable[[AsyncSession], Awaitable[int]]


def jobs() -> list[tuple[str, Job]]:
    """Every timed job, by name, each on its own (so a failing reminder never holds back a release).

    Each returns how many objects it moved and commits its own work.
    """
    return [
        *wish_timers.JOBS.items(),
        *event_timers.JOBS.items(),
        *action_items.JOBS.items(),
        ("shifts.close_overdue", shifts.close_overdue_shifts),
        ("push.deliver", push.deliver_pending),
    ]


async def run_once(db: Database) -> dict[str, int]:
    """Run each job once in its own session and transaction; a failing job rolls back only its own work."""
    results: dict[str, int] = {}
    for name, job in jobs():
        try:
            async with db.session() as session:
                results[name] = await job(session)
        except Exception:
            log.exception("scheduled job %s failed", name)
            results[name] = -1
    return results


async def run_forever(db: Database, interval: float = 60.0) -> None:
    while True:
        await run_once(db)
        await asyncio.sleep(interval)
