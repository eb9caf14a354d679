"""What a member unit delivered, counted from the records: the one definition of each automatic figure.

Commitments count their progress with these (by kind) and assessment items name one as their
`source`. Each figure is for a unit, optionally within one community's subtree, over a span of
China calendar days [first, last].
"""

from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.models.activities import Activity
from app.models.meetings import ActionItem, ActionItemStatus
from app.models.member_reports import MemberReport, ReportStatus
from app.models.org import Org
from app.models.resources import UnitResource
from app.models.timebank import LedgerAccount, LedgerEntry, LedgerTxn
from app.models.wishes import Wish, WishStatus
from app.permissions import in_subtree

DONE = (WishStatus.done, WishStatus.confirmed, WishStatus.verified)
# Service credit counted as members' hours, as the record card counts it.
CREDIT_KINDS = ("earn", "grant", "correction")

Figure = Callable[[AsyncSession, Org, Org | None, date, date], Awaitable[int]]


def _bounds(first: date, last: date):
    return clock.china_midnight(first), clock.china_midnight(last + timedelta(days=1))


async def wishes_done(
    session: AsyncSession, unit: Org, community: Org | None, first: date, last: date
) -> int:
    """Wishes (projects) dispatched to the unit and done in the span (认领项目完成数)."""
    lo, hi = _bounds(first, last)
    stmt = (
        select(func.count())
        .select_from(Wish)
        .where(Wish.assigned_org_id == unit.id, Wish.status.in_(DONE), Wish.done_at >= lo, Wish.done_at < hi)
    )
    if community is not None:
        stmt = stmt.where(in_subtree(Wish.org_id, community.path))
    return (await session.exec(stmt)).one()


async def activities_run(
    session: AsyncSession, unit: Org, community: Org | None, first: date, last: date
) -> int:
    """Activities the unit ran (published under the unit) that started in the span."""
    lo, hi = _bounds(first, last)
    stmt = (
        select(func.count())
        .select_from(Activity)
        .where(Activity.org_id == unit.id, Activity.starts_at >= lo, Activity.starts_at < hi)
    )
    return (await session.exec(stmt)).one()


async def member_hours(
    session: AsyncSession, unit: Org, community: Org | None, first: date, last: date
) -> int:
    """Whole hours credited in the span to the unit's members who report to a branch (in the community)."""
    lo, hi = _bounds(first, last)
    members = select(MemberReport.user_id).where(
        MemberReport.employer_unit_id == unit.id, MemberReport.status == ReportStatus.approved
    )
    if community is not None:
        members = members.where(in_subtree(MemberReport.org_id, community.path))
    minutes = (
        await session.exec(
            select(func.coalesce(func.sum(LedgerEntry.amount_minutes), 0))
            .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)
            .where(
                LedgerAccount.user_id.in_(members),
                LedgerTxn.kind.in_(CREDIT_KINDS),
                LedgerTxn.created_at >= lo,
                LedgerTxn.created_at < hi,
            )
        )
    ).one()
    return int(minutes) // 60


async def resources_used(
    session: AsyncSession, unit: Org, community: Org | None, first: date, last: date
) -> int:
    """Times the unit's resources were used: dispatched wishes done in a category the unit offers a resource in."""
    lo, hi = _bounds(first, last)
    offered = select(UnitResource.category).where(UnitResource.unit_id == unit.id)
    stmt = (
        select(func.count())
        .select_from(Wish)
        .where(
            Wish.assigned_org_id == unit.id,
            Wish.status.in_(DONE),
            Wish.done_at >= lo,
            Wish.done_at < hi,
            Wish.category.in_(offered),
        )
    )
    if community is not None:
        stmt = stmt.where(in_subtree(Wish.org_id, community.path))
    return (await session.exec(stmt)).one()


async def action_items_done(
    session: AsyncSession, unit: Org, community: Org | None, first: date, last: date
) -> int:
    """Meeting action items owned by the unit and done in the span (督办事项办结数)."""
    lo, hi = _bounds(first, last)
    stmt = (
        select(func.count())
        .select_from(ActionItem)
        .where(
            ActionItem.owner_org_id == unit.id,
            ActionItem.status == ActionItemStatus.done,
            ActionItem.done_at >= lo,
            ActionItem.done_at < hi,
        )
    )
    if community is not None:
        stmt = stmt.where(in_subtree(ActionItem.org_id, community.path))
    return (await session.exec(stmt)).one()


# name → (label, how it is counted). An assessment item's `source` is one of these names.
FIGURES: dict[str, tuple[str, Figure]] = {
    "wishes_done": ("认领项目完成数", wishes_done),
    "activities_run": ("组织活动场次", activities_run),
    "member_hours": ("在职党员服务时长（小时）", member_hours),
    "resources_used": ("服务资源使用次数", resources_used),
    "action_items_done": ("督办事项办结数", action_items_done),
}

# What each kind of commitment counts.
COMMITMENT_FIGURE = {"resource": "resources_used", "service": "activities_run", "project": "wishes_done"}


async def figure(
    session: AsyncSession, name: str, *, unit: Org, community: Org | None, first: date, last: date
) -> int:
    """One automatic figure by name."""
    return await FIGURES[name][1](session, unit, community, first, last)


def label(name: str | None) -> str | None:
    return FIGURES[name][0] if name in FIGURES else None
