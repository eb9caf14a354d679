"""The record card (活动记录卡): everything a member did in the community in a year, read from the
modules that keep it (activities, wishes, duty shifts, posts, the time bank) — never re-entered."""

from datetime import date

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import xlsx
from app.dates import local_time
from app.errors import NotFound
from app.hours import hours_text
from app.models.activities import Activity, Attendance
from app.models.feedback import MemberFeedback
from app.models.member_reports import MEMBER_TYPE_LABELS, ReportStatus
from app.models.org import OrgKind
from app.models.posts import PostLog, PostLogPublic
from app.models.records import RecordItem, RecordPost, RecordPublic, RecordSection
from app.models.stations import DutyShift, ShiftSignup, Station
from app.models.timebank import LedgerAccount, LedgerEntry, LedgerTxn
from app.models.user import User
from app.models.wishes import Wish
from app.permissions import ADMIN_ONLY, has_role_over
from app.services import demonstration as demonstration_service
from app.services import feedback as feedback_service
from app.services import lookups
from app.services import member_reports as reports_service
from app.services import posts as posts_service


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
        user=lookups.person_brief(member, show_phone=show_phone),
        member_type=member.member_type,
        year=year,
        reports=await reports_service.to_public(session, reports, viewer=actor),
        posts=posts,
        activities=activities,
        wishes=wishes,
        shifts=shifts,
        post_minutes=post_minutes,
        ledger_minutes=ledger,
        # Verified time-bank service only; self-logged post work is shown beside it (post_minutes).
        total_minutes=activities.minutes + wishes.minutes + shifts.minutes,
        feedback=forms,
        demonstration_posts=await demonstration_service.held_by(
            session, user_id=user_id, first=date(year, 1, 1), last=date(year, 12, 31)
        ),
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
    names = await lookups.org_names(session, [p.org_id for _, p in held])
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
    """Activities attended, on the day they were credited (or signed in, while unsettled); credited
    minutes (0 for study and meetings: attendance only)."""
    lo, hi = reports_service.year_bounds(year)
    on = func.coalesce(Attendance.credited_at, Attendance.signed_in_at)
    rows = (
        await session.exec(
            select(Activity, Attendance)
            .join(Attendance, Attendance.activity_id == Activity.id)
            .where(Attendance.user_id == user_id, on >= lo, on < hi)
            .order_by(Activity.starts_at)
        )
    ).all()
    names = await lookups.org_names(session, [a.org_id for a, _ in rows])
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
    """Wishes the member fulfilled: verified ones on their verify date with the credited minutes,
    done ones awaiting verification on their done date with none yet (reported time is not credit)."""
    lo, hi = reports_service.year_bounds(year)
    on = func.coalesce(Wish.verified_at, Wish.done_at)
    rows = (
        await session.exec(
            select(Wish)
            .where(
                Wish.claimer_id == user_id,
                Wish.done_at.is_not(None),
                Wish.status.in_(("done", "confirmed", "verified")),
                on >= lo,
                on < hi,
            )
            .order_by(Wish.done_at)
        )
    ).all()
    names = await lookups.org_names(session, [w.org_id for w in rows])
    items = [
        RecordItem(
            id=w.id,
            title=w.title if w.status == "verified" else f"{w.title}（待验收）",
            at=w.verified_at or w.done_at,
            org_name=names.get(w.org_id),
            minutes=(w.credit_minutes or 0) if w.status == "verified" else 0,
        )
        for w in rows
    ]
    return RecordSection(items=items, minutes=sum(i.minutes for i in items))


async def shift_section(session: AsyncSession, *, user_id: int, year: int) -> RecordSection:
    """Duty shifts served at red stations, on the day they were credited (or started, while on duty)."""
    lo, hi = reports_service.year_bounds(year)
    on = func.coalesce(ShiftSignup.credited_at, ShiftSignup.started_at)
    rows = (
        await session.exec(
            select(Station, DutyShift, ShiftSignup)
            .join(DutyShift, DutyShift.station_id == Station.id)
            .join(ShiftSignup, ShiftSignup.shift_id == DutyShift.id)
            .where(ShiftSignup.user_id == user_id, ShiftSignup.started_at.is_not(None), on >= lo, on < hi)
            .order_by(DutyShift.starts_at)
        )
    ).all()
    items = [
        RecordItem(id=sh.id, title=f"{st.name}值班", at=sh.starts_at, minutes=su.served_minutes or 0)
        for st, sh, su in rows
    ]
    return RecordSection(items=items, minutes=sum(i.minutes for i in items))


async def ledger_minutes(session: AsyncSession, *, user_id: int, year: int) -> int:
    """Service minutes credited to the member's time bank in the year (earned and granted, less corrections)."""
    lo, hi = reports_service.year_bounds(year)
    total = (
        await session.exec(
            select(func.coalesce(func.sum(LedgerEntry.amount_minutes), 0))
            .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)
            .where(
                LedgerAccount.user_id == user_id,
                LedgerTxn.kind.in_(("earn", "grant", "correction")),
                LedgerTxn.created_at >= lo,
                LedgerTxn.created_at < hi,
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
        # Time-bank service (what /timebank counts); self-logged post work stays beside it.
        "minutes": activities.minutes + wishes.minutes + shifts.minutes,
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


# ---- the unit's printed forms and workbook (each form with the member's record summary) ----


XLSX_HEADERS = [
    "姓名",
    "手机号",
    "党员类别",
    "报到社区",
    "年度",
    "评定等级",
    "社区评语",
    "参加活动",
    "完成心愿",
    "驿站值班",
    "认领岗位",
    "服务时长",
    "岗位履职时长（自报）",
    "评定时间",
]


async def unit_print(session: AsyncSession, *, unit_id: int, year: int, actor: User) -> dict:
    """Every yearly form of the unit's members with a record summary: one printed A4 page each."""
    unit = await feedback_service.unit_admin(session, unit_id=unit_id, actor=actor)
    rows = list(
        (await session.exec(feedback_service.unit_stmt(unit_id, year).order_by(MemberFeedback.id))).all()
    )
    forms = await feedback_service.to_public(session, rows, viewer=actor)
    people = await lookups.users_by_id(session, [f.user_id for f in rows])
    items = [
        {
            "form": f,
            "member_type": people[f.user.id].member_type,
            "summary": await summary(session, user_id=f.user.id, year=year),
        }
        for f in forms
    ]
    return {"unit": unit, "year": year, "items": items}


async def unit_xlsx(session: AsyncSession, *, unit_id: int, year: int, actor: User) -> bytes:
    """The unit's members' yearly forms as an Excel workbook: a header row, then one row per form."""
    data = await unit_print(session, unit_id=unit_id, year=year, actor=actor)
    rows = []
    for item in data["items"]:
        f, s = item["form"], item["summary"]
        rows.append(
            [
                f.user.name,
                f.user.phone or "",
                MEMBER_TYPE_LABELS.get(item["member_type"] or "", ""),
                f.org_name or "",
                f.year,
                f.rating_label,
                f.comment,
                s["activities"],
                s["wishes"],
                s["shifts"],
                "、".join(s["posts"]),
                hours_text(s["minutes"]),
                hours_text(s["post_minutes"]),
                local_time(f.rated_at),
            ]
        )
    return await xlsx.workbook(
        "反馈表",
        XLSX_HEADERS,
        rows,
        widths=(10, 14, 12, 16, 8, 10, 40, 10, 10, 10, 24, 14, 16, 18),
        doc_title=f"{data['unit'].name}{year}年度反馈表",
    )
