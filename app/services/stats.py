"""台账与统计: a subtree's figures over a period, each taken from the domain that owns it.

Periods are whole days in China time: `from` 00:00 (UTC+8) to the end of `to`.
"""

from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, exists, func, union
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock, xlsx
from app.clock import CHINA
from app.errors import ValidationFailed
from app.models.activities import Activity, Attendance
from app.models.org import Org
from app.models.stations import DutyShift, ShiftSignup, Station
from app.models.stats import EventFigures, OrgStats, WishFunnel
from app.models.user import User
from app.models.wishes import Wish, WishClaim, WishEvent
from app.permissions import in_subtree, require_role_over
from app.services import activities as activities_service
from app.services import demonstration as demonstration_service
from app.services import events as events_service
from app.services import member_reports as member_reports_service
from app.services import orgs as orgs_service
from app.services import shifts as shifts_service
from app.services import station_services
from app.services import stations as stations_service
from app.services import teams as teams_service


def period(start: date | None, end: date | None) -> tuple[date, date, datetime, datetime]:
    """The period's days and its [start, end) instants; by default this year so far."""
    today = clock.today()
    start = start or date(today.year, 1, 1)
    end = end or today
    if end < start:
        raise ValidationFailed("结束日期不能早于开始日期", code="invalid_period")
    if (end - start).days > 366 * 5:
        raise ValidationFailed("统计区间最长五年", code="invalid_period")
    lo = datetime.combine(start, time.min, CHINA)
    hi = datetime.combine(end + timedelta(days=1), time.min, CHINA)
    return start, end, lo, hi


async def wish_funnel(session: AsyncSession, *, org: Org, lo: datetime, hi: datetime) -> WishFunnel:
    """Wishes posted in the period, and how many of them reached each later stage by its end."""
    posted = and_(in_subtree(Wish.org_id, org.path), Wish.created_at >= lo, Wish.created_at < hi)
    reached_published = exists().where(
        WishEvent.wish_id == Wish.id, WishEvent.to_status == "published", WishEvent.at < hi
    )
    reached_claimed = exists().where(WishClaim.wish_id == Wish.id, WishClaim.claimed_at < hi)
    reached_verified = and_(Wish.verified_at.is_not(None), Wish.verified_at < hi)
    row = (
        await session.exec(
            select(
                func.count(),
                func.count().filter(reached_published),
                func.count().filter(reached_claimed),
                func.count().filter(reached_verified),
            )
            .select_from(Wish)
            .where(posted)
        )
    ).one()
    return WishFunnel(posted=row[0], published=row[1], claimed=row[2], verified=row[3])


async def service_figures(session: AsyncSession, *, org: Org, lo: datetime, hi: datetime) -> dict[str, int]:
    """Minutes served, distinct people who served, and distinct people helped, in the period."""
    verified = and_(in_subtree(Wish.org_id, org.path), Wish.verified_at >= lo, Wish.verified_at < hi)
    attended = and_(
        in_subtree(Activity.org_id, org.path), Attendance.signed_in_at >= lo, Attendance.signed_in_at < hi
    )
    on_duty = and_(
        in_subtree(Station.org_id, org.path),
        ShiftSignup.ended_at >= lo,
        ShiftSignup.ended_at < hi,
        ShiftSignup.served_minutes.is_not(None),
    )
    wish_minutes = (
        await session.exec(select(func.coalesce(func.sum(Wish.credit_minutes), 0)).where(verified))
    ).one()
    activity_minutes = (
        await session.exec(
            select(func.coalesce(func.sum(Attendance.credited_minutes), 0))
            .join(Activity, Activity.id == Attendance.activity_id)
            .where(attended)
        )
    ).one()
    duty_minutes = (
        await session.exec(
            select(func.coalesce(func.sum(ShiftSignup.served_minutes), 0))
            .join(DutyShift, DutyShift.id == ShiftSignup.shift_id)
            .join(Station, Station.id == DutyShift.station_id)
            .where(on_duty)
        )
    ).one()
    helpers = union(
        select(Wish.claimer_id.label("uid")).where(verified),
        select(Attendance.user_id.label("uid"))
        .join(Activity, Activity.id == Attendance.activity_id)
        .where(attended),
        select(ShiftSignup.user_id.label("uid"))
        .join(DutyShift, DutyShift.id == ShiftSignup.shift_id)
        .join(Station, Station.id == DutyShift.station_id)
        .where(on_duty),
    ).subquery()
    volunteers = (await session.exec(select(func.count()).select_from(helpers))).one()
    beneficiaries = (
        await session.exec(select(func.count(func.distinct(Wish.poster_id))).where(verified))
    ).one()
    return {
        "minutes_served": int(wish_minutes) + int(activity_minutes) + int(duty_minutes),
        "volunteers": volunteers,
        "beneficiaries": beneficiaries,
    }


async def org_stats(
    session: AsyncSession, *, org_id: int, start: date | None, end: date | None, actor: User
) -> OrgStats:
    """The subtree's figures for the period (staff/admin over the node)."""
    org = await orgs_service.get_org(session, org_id=org_id)
    await require_role_over(session, user_id=actor.id, org_id=org.id)
    day_from, day_to, lo, hi = period(start, end)
    activity = await activities_service.summary(session, org_id=org.id, start=lo, end=hi)
    events = await events_service.event_figures(session, org_id=org.id, start=lo, end=hi)
    members = await member_reports_service.member_figures(session, org_id=org.id, start=lo, end=hi)
    return OrgStats(
        org_id=org.id,
        org_name=org.name,
        from_=day_from,
        to=day_to,
        wishes=await wish_funnel(session, org=org, lo=lo, hi=hi),
        **await service_figures(session, org=org, lo=lo, hi=hi),
        activities=activity["activities"],
        attendances=activity["attendances"],
        no_shows=activity["no_shows"],
        station_visits=await stations_service.count_visits(session, org_id=org.id, start=lo, end=hi),
        duty_minutes=await shifts_service.duty_minutes(session, org_id=org.id, start=lo, end=hi),
        members_reported=members["reported"],
        members_approved=members["approved"],
        members_rated=members["rated"],
        events=EventFigures(
            reported=events["reported"],
            closed=events["closed"],
            on_time_rate=events["on_time_rate"],
            handling_rate=events["handling_rate"],
            overdue=events["overdue"],
        ),
        **await alliance_figures(session, org=org, first=day_from, last=day_to),
    )


async def alliance_figures(session: AsyncSession, *, org: Org, first: date, last: date) -> dict[str, int]:
    """Station services given, demonstration posts held and active teams, in one statement."""
    row = (
        await session.exec(
            select(
                station_services.served_in(org_path=org.path, first=first, last=last).scalar_subquery(),
                demonstration_service.held_in(org_path=org.path, first=first, last=last).scalar_subquery(),
                teams_service.active_in(org_path=org.path).scalar_subquery(),
            )
        )
    ).one()
    return {"station_services": int(row[0]), "demonstration_posts": row[1], "teams": row[2]}


def _stats_rows(s: OrgStats) -> list[tuple[str, object]]:
    return [
        ("组织", s.org_name),
        ("开始日期", s.from_.isoformat()),
        ("结束日期", s.to.isoformat()),
        ("心愿发布", s.wishes.posted),
        ("心愿上墙", s.wishes.published),
        ("心愿认领", s.wishes.claimed),
        ("心愿验收", s.wishes.verified),
        ("服务时长（分钟）", s.minutes_served),
        ("参与服务人数", s.volunteers),
        ("受益群众人数", s.beneficiaries),
        ("活动场次", s.activities),
        ("签到人次", s.attendances),
        ("报名未到人次", s.no_shows),
        ("驿站到访人次", s.station_visits),
        ("驿站值班（分钟）", s.duty_minutes),
        ("在职党员报到人数", s.members_reported),
        ("其中已审核通过", s.members_approved),
        ("年度评价人数", s.members_rated),
        ("网格事件上报", s.events.reported),
        ("网格事件办结", s.events.closed),
        ("按期处置率", "" if s.events.on_time_rate is None else round(s.events.on_time_rate, 4)),
        ("驿站服务人次", s.station_services),
        ("党员示范岗", s.demonstration_posts),
        ("志愿服务队", s.teams),
    ]


async def stats_workbook(s: OrgStats) -> bytes:
    """The figures as a two-column workbook."""
    return await xlsx.workbook("统计台账", ["指标", "数值"], _stats_rows(s), widths=[22, 24])
