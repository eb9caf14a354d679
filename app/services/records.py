"""The record card (活动记录卡): everything a member did in the community in a year, read from the
modules that keep it (activities, wishes, duty shifts, posts, the time bank) — never re-entered."""

import importlib

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import NotFound
from app.models.member_reports import ReportStatus
from app.models.org import OrgKind
from app.models.posts import PostLog, PostLogPublic
from app.models.records import RecordItem, RecordPost, RecordPublic, RecordSection
from app.models.user import User
from app.permissions import ADMIN_ONLY, has_role_over
from app.services import feedback as feedback_service
from app.services import member_reports as reports_service
from app.services import posts as posts_service


def _module(name: str):
    """Another domain's models module, or None while it is not there yet."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


async def record_access(
    session: AsyncSession, *, user_id: int, year: int, actor: User
) -> tuple[User, list, bool]:
    """(member, their reports that year, whether the viewer sees phones); 404 for anyone not entitled.

    The member, staff over a branch they reported to that year, and the admin of their employer unit.
    """
    member = await session.get(User, user_id)
    if member is None:
        raise NotFound("找不到该党员的记录", code="record_not_found")
    reports = [
        r
        for r in await reports_service.reports_of(session, user_id=user_id, year=year)
        if r.status != ReportStatus.rejected
    ]
    if actor.id == user_id:
        return member, reports, True
    for r in reports:
        if await has_role_over(session, user_id=actor.id, org_id=r.org_id):
            return member, reports, True
    for r in reports:
        if await has_role_over(session, user_id=actor.id, org_id=r.employer_unit_id, roles=ADMIN_ONLY):
            return member, reports, False
    raise NotFound("找不到该党员的记录", code="record_not_found")


async def record_card(session: AsyncSession, *, user_id: int, year: int, actor: User) -> RecordPublic:
    """A member's record card for one year, for the member, their branch's staff and their employer's admin."""
    member, reports, show_phone = await record_access(session, user_id=user_id, year=year, actor=actor)
    posts = await post_section(session, user_id=user_id, year=year)
    activities = await activity_section(session, user_id=user_id, year=year)
    wishes = await wish_section(session, user_id=user_id, year=year)
    shifts = await shift_section(session, user_id=user_id, year=year)
    post_minutes = sum(p.minutes for p in posts)
    ledger = await ledger_minutes(session, user_id=user_id, year=year)
    forms = await feedback_service.forms_of(session, user_id=user_id, year=year, viewer=actor)
    return RecordPublic(
        user=reports_service.brief(member, show_phone=show_phone),
        member_type=member.member_type,
        year=year,
        reports=await reports_service.to_public(session, reports, viewer=actor),
        posts=posts,
        activities=activities,
        wishes=wishes,
        shifts=shifts,
        post_minutes=post_minutes,
        ledger_minutes=ledger,
        total_minutes=post_minutes + activities.minutes + wishes.minutes + shifts.minutes,
        feedback=forms,
    )


async def post_section(session: AsyncSession, *, user_id: int, year: int) -> list[RecordPost]:
    """Posts held in the year, with the work logged on them that year."""
    first, last = reports_service.year_dates(year)
    held = await posts_service.claims_of(session, user_id=user_id, start=first, end=last)
    if not held:
        return []
    logs = (
        await session.exec(
            select(PostLog)
            .where(
                PostLog.user_id == user_id,
                PostLog.claim_id.in_([c.id for c, _ in held]),
                PostLog.done_on >= first,
                PostLog.done_on <= last,
            )
            .order_by(PostLog.done_on, PostLog.id)
        )
    ).all()
    names = await reports_service.org_names(session, [p.org_id for _, p in held])
    out = []
    for claim, post in held:
        mine = [PostLogPublic.model_validate(g, from_attributes=True) for g in logs if g.claim_id == claim.id]
        out.append(
            RecordPost(
                post_id=post.id,
                title=post.title,
                org_name=names.get(post.org_id),
                claimed_at=claim.claimed_at,
                left_at=claim.left_at,
                minutes=sum(g.minutes for g in mine),
                logs=mine,
            )
        )
    return out


async def activity_section(session: AsyncSession, *, user_id: int, year: int) -> RecordSection:
    """Activities attended in the year (activity sign-ins)."""
    mod = _module("app.models.activities")
    if mod is None or not hasattr(mod, "Attendance"):
        return RecordSection(available=False)
    activity, attendance = mod.Activity, mod.Attendance
    lo, hi = reports_service.year_bounds(year)
    rows = (
        await session.exec(
            select(activity, attendance)
            .join(attendance, attendance.activity_id == activity.id)
            .where(attendance.user_id == user_id, activity.starts_at >= lo, activity.starts_at < hi)
            .order_by(activity.starts_at)
        )
    ).all()
    names = await reports_service.org_names(session, [a.org_id for a, _ in rows])
    items = [
        RecordItem(
            id=a.id,
            title=a.title,
            at=a.starts_at,
            minutes=att.credited_minutes or 0,
            org_name=names.get(a.org_id),
        )
        for a, att in rows
    ]
    return RecordSection(items=items, minutes=sum(i.minutes for i in items))


async def wish_section(session: AsyncSession, *, user_id: int, year: int) -> RecordSection:
    """Wishes the member fulfilled (marked done) in the year; verified minutes where verified."""
    mod = _module("app.models.wishes")
    if mod is None or not hasattr(mod, "Wish"):
        return RecordSection(available=False)
    wish = mod.Wish
    lo, hi = reports_service.year_bounds(year)
    rows = (
        await session.exec(
            select(wish)
            .where(
                wish.claimer_id == user_id,
                wish.done_at.is_not(None),
                wish.done_at >= lo,
                wish.done_at < hi,
                wish.status.in_(("done", "confirmed", "verified")),
            )
            .order_by(wish.done_at)
        )
    ).all()
    names = await reports_service.org_names(session, [w.org_id for w in rows])
    items = [
        RecordItem(
            id=w.id,
            title=w.title,
            at=w.done_at,
            org_name=names.get(w.org_id),
            minutes=(w.credit_minutes if w.status == "verified" else w.minutes_spent) or 0,
        )
        for w in rows
    ]
    return RecordSection(items=items, minutes=sum(i.minutes for i in items))


async def shift_section(session: AsyncSession, *, user_id: int, year: int) -> RecordSection:
    """Duty shifts served at red stations in the year."""
    mod = _module("app.models.stations")
    if mod is None or not hasattr(mod, "ShiftSignup"):
        return RecordSection(available=False)
    station, shift, signup = mod.Station, mod.DutyShift, mod.ShiftSignup
    lo, hi = reports_service.year_bounds(year)
    rows = (
        await session.exec(
            select(station, shift, signup)
            .join(shift, shift.station_id == station.id)
            .join(signup, signup.shift_id == shift.id)
            .where(
                signup.user_id == user_id,
                signup.started_at.is_not(None),
                shift.starts_at >= lo,
                shift.starts_at < hi,
            )
            .order_by(shift.starts_at)
        )
    ).all()
    items = [
        RecordItem(id=sh.id, title=f"{st.name}值班", at=sh.starts_at, minutes=su.served_minutes or 0)
        for st, sh, su in rows
    ]
    return RecordSection(items=items, minutes=sum(i.minutes for i in items))


async def ledger_minutes(session: AsyncSession, *, user_id: int, year: int) -> int | None:
    """Service minutes credited to the member's time bank in the year (earned and granted, less
    corrections); None while the ledger is not installed."""
    mod = _module("app.models.timebank")
    if mod is None or not hasattr(mod, "LedgerEntry"):
        return None
    entry, txn, account = mod.LedgerEntry, mod.LedgerTxn, mod.LedgerAccount
    lo, hi = reports_service.year_bounds(year)
    total = (
        await session.exec(
            select(func.coalesce(func.sum(entry.amount_minutes), 0))
            .join(account, account.id == entry.account_id)
            .join(txn, txn.id == entry.txn_id)
            .where(
                account.user_id == user_id,
                txn.kind.in_(("earn", "grant", "correction")),
                txn.created_at >= lo,
                txn.created_at < hi,
            )
        )
    ).one()
    return int(total)


async def summary(session: AsyncSession, *, user_id: int, year: int) -> dict:
    """Counts and minutes for a printed feedback form (no access check: callers have done it)."""
    posts = await post_section(session, user_id=user_id, year=year)
    activities = await activity_section(session, user_id=user_id, year=year)
    wishes = await wish_section(session, user_id=user_id, year=year)
    shifts = await shift_section(session, user_id=user_id, year=year)
    return {
        "posts": [p.title for p in posts],
        "post_minutes": sum(p.minutes for p in posts),
        "activities": len(activities.items),
        "wishes": len(wishes.items),
        "shifts": len(shifts.items),
        "minutes": sum(p.minutes for p in posts) + activities.minutes + wishes.minutes + shifts.minutes,
    }


async def member_page(session: AsyncSession, *, user: User) -> dict:
    """The /report page: my reports, the pickers to report, posts to claim, my record card and forms."""
    year = reports_service.this_year()
    reports = await reports_service.reports_of(session, user_id=user.id)
    current = next((r for r in reports if r.active == 1), None)
    alliance = await reports_service.alliance_of_user(session, user=user)
    branches = await reports_service.org_choices(session, kinds=reports_service.BRANCH_KINDS, within=alliance)
    units = await reports_service.org_choices(session, kinds=(OrgKind.unit,), within=alliance)
    open_posts = await posts_service.posts_open_to(session, actor=user) if current else []
    card = await record_card(session, user_id=user.id, year=year, actor=user)
    return {
        "year": year,
        "reports": await reports_service.to_public(session, reports, viewer=user, with_steps=True),
        "current": current,
        "branches": branches,
        "units": units,
        "open_posts": open_posts,
        "card": card,
        "home_org_id": user.home_org_id,
    }
