"""Timed jobs (overdue claims, expiries, escalations): run in-process every minute and by `ejia tick`.

Each job is an async function taking a session; it must be safe to run in several processes at
once (conditional updates, never read-then-write), so no leader election is needed.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import Database

log = logging.getLogger("ejia.scheduler")

Job = Callable[[AsyncSession], Awaitable[int]]


def jobs() -> list[tuple[str, Job]]:
    """Every timed job, by name. Each returns how many objects it moved."""
    from app.services import (
        events,
        push,
        shifts,
        wishes,
    )  # imported late: the services import app.db, as we do

    return [
        ("wishes.timers", wishes.run_timers),
        ("events.timers", events.run_event_timers),
        ("shifts.close_overdue", shifts.close_overdue_shifts),
        ("push.deliver", push.deliver_pending),
    ]


async def run_once(db: Database) -> dict[str, int]:
    """Run each job once in its own transaction; a failing job does not stop the others."""
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
