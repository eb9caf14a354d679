"""The grid events' timed jobs, each registered with the scheduler on its own and committing on its own.

Safe in several processes at once: every change is a conditional update on what was read.
"""

from datetime import timedelta
from typing import cast

from sqlalchemy import and_, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.models.events import (
    GridEvent,
    GridEventStep,
)
from app.models.org import Org, OrgKind
from app.permissions import ancestor_ids, role_holders
from app.services import lookups
from app.services.events import MACHINE, S, tell

# An overdue event climbs one level of the tree for every further day it stays unhandled.
ESCALATE_EVERY = timedelta(days=1)
# A checked event the reporter never answers is closed after this long.
FEEDBACK_GRACE = timedelta(days=7)


async def escalate_overdue(session: AsyncSession) -> int:
    """Mark dispatched events past due as overdue and escalate them a level up (once a day each)."""
    now = clock.now()
    moved = 0
    top = aliased(Org)  # where it was escalated to: nothing is above the alliance
    rows = (
        await session.exec(
            select(GridEvent.id, GridEvent.escalation_level, GridEvent.overdue, Org.path)
            .join(Org, col(Org.id) == col(GridEvent.org_id))
            .outerjoin(top, col(top.id) == col(GridEvent.escalated_org_id))
            .where(
                GridEvent.status == S.dispatched,
                col(GridEvent.due_at) < now,
                or_(
                    col(GridEvent.overdue).is_(False),
                    and_(
                        col(GridEvent.escalated_at) < now - ESCALATE_EVERY, col(top.kind) != OrgKind.alliance
                    ),
                ),
            )
            .order_by(col(GridEvent.id))
            .limit(500)
        )
    ).all()
    for event_id, level, overdue, path in rows:
        chain = ancestor_ids(path)
        target_index = len(chain) - 2 - level  # one level above the place, then the next …
        if overdue and target_index < 0:
            continue  # already at the top of the tree
        values = {"overdue": True, "updated_at": now}
        if target_index >= 0:
            values.update(escalation_level=level + 1, escalated_org_id=chain[target_index], escalated_at=now)
        result = await session.exec(
            update(GridEvent)
            .where(
                col(GridEvent.id) == event_id,
                col(GridEvent.status) == S.dispatched,
                col(GridEvent.escalation_level) == level,
                col(GridEvent.overdue).is_(overdue),
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            continue
        if not overdue:
            session.add(
                GridEventStep(
                    event_id=cast(int, event_id),
                    at=now,
                    action="overdue",
                    from_status=S.dispatched,
                    to_status=S.dispatched,
                    note="超过处置期限",
                )
            )
        if target_index >= 0:
            names = await lookups.org_names(session, [chain[target_index]])
            session.add(
                GridEventStep(
                    event_id=cast(int, event_id),
                    at=now,
                    action="escalate",
                    from_status=S.dispatched,
                    to_status=S.dispatched,
                    note=f"上报至{names.get(chain[target_index], '上级')}",
                )
            )
            for user_id in await role_holders(session, org_id=chain[target_index]):
                await tell(
                    session,
                    cast(int, event_id),
                    user_id=user_id,
                    kind="event_escalated",
                    title="有网格事件逾期未处置",
                    body="事件已超过处置期限，已上报至本级督办",
                )
        moved += 1
    await session.commit()
    return moved


async def close_unanswered(session: AsyncSession) -> int:
    """Close checked events the reporter has not answered within FEEDBACK_GRACE."""
    now = clock.now()
    moved = 0
    stale = (
        await session.exec(
            select(GridEvent)
            .where(col(GridEvent.status) == S.checked, col(GridEvent.checked_at) < now - FEEDBACK_GRACE)
            .order_by(col(GridEvent.id))
            .limit(500)
        )
    ).all()
    for event in stale:
        if await MACHINE.apply(
            session,
            event,
            "auto_close",
            actor_id=None,
            note="超过反馈期限，自动办结",
            values={"closed_at": now},
        ):
            moved += 1
    await session.commit()
    return moved


# Each job by name, in the order they run; the scheduler registers each on its own.
JOBS = {"events.escalate_overdue": escalate_overdue, "events.close_unanswered": close_unanswered}


async def run_event_timers(session: AsyncSession) -> int:
    """Every event job once, one after the other (each commits its own work): how many moved in all."""
    return sum([await job(session) for job in JOBS.values()])
