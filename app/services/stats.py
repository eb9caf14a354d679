"""台账与统计: a subtree's figures over a period, each taken from the domain that owns it.

Periods are whole days in China time: `from` 00:00 (UTC+8) to the end of `to`.
"""

from datetime import date, datetime, time, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock, xlsx
from app.clock import CHINA
from app.errors import ValidationFailed
from app.hours import hours_text
from app.models.org import Org
from app.models.stats import EventFigures, OrgStats, StatsCuts, WishFunnel
from app.models.user import User
from app.permissions import require_role_over
from app.services import activities as activities_service
from app.services import demonstration as demonstration_service
from app.services import events as events_service
from app.services import figures, station_services
from app.services import member_reports as member_reports_service
from app.services import orgs as orgs_service
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


def months(first: date, last: date) -> list[tuple[date, date]]:
    """The calendar months touching [first, last], each as its first and last day."""
    out, day = [], date(first.year, first.month, 1)
    while day <= last:
        following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        out.append((day, following - timedelta(days=1)))
        day = following
    return out


def instants(start: date, end: date) -> tuple[datetime, datetime]:
    """Whole China days [start, end] as UTC-comparable instants [lo, hi)."""
    return datetime.combine(start, time.min, CHINA), datetime.combine(
        end + timedelta(days=1), time.min, CHINA
    )


async def wish_funnel(session: AsyncSession, *, org: Org, lo: datetime, hi: datetime) -> WishFunnel:
    """Wishes of the subtree by the date each stage was reached in the period (figures.FIGURES)."""
    keys = ("wishes.posted", "wishes.published", "wishes.claimed", "wishes.verified")
    now = clock.now()
    row = (
        await session.exec(select(*(figures.count(k, path=org.path, lo=lo, hi=hi, now=now) for k in keys)))
    ).one()
    return WishFunnel(posted=row[0], published=row[1], claimed=row[2], verified=row[3])


def _service_sources(org: Org, lo: datetime, hi: datetime):
    """(minutes, user) of each piece of service credited in the subtree and period, by source."""
    now = clock.now()
    out = {}
    for key in figures.SERVICE_SOURCES:
        piece = figures.rows(key, path=org.path, lo=lo, hi=hi, now=now).subquery()
        out[key] = select(piece.c.minutes.label("minutes"), piece.c.person_id.label("uid"))
    return out


async def service_figures(session: AsyncSession, *, org: Org, lo: datetime, hi: datetime) -> dict[str, int]:
    """Minutes credited for service in the period, by source; the people credited; the people helped."""
    now = clock.now()
    keys = (*figures.SERVICE_SOURCES, "volunteers", "beneficiaries")
    row = (
        await session.exec(
            select(
                *(
                    figures.total_minutes(k, path=org.path, lo=lo, hi=hi, now=now)
                    for k in figures.SERVICE_SOURCES
                ),
                *(figures.count(k, path=org.path, lo=lo, hi=hi, now=now) for k in keys[3:]),
            )
        )
    ).one()
    by_source = {k: int(v) for k, v in zip(figures.SERVICE_SOURCES, row[:3], strict=True)}
    return {
        "minutes_served": sum(by_source.values()),
        **by_source,
        "volunteers": int(row[3]),
        "beneficiaries": int(row[4]),
    }


async def org_stats(
    session: AsyncSession, *, org_id: int, start: date | None, end: date | None, actor: User
) -> OrgStats:
    """The subtree's figures for the period (staff/admin over the node)."""
    org = await orgs_service.get_org(session, org_id=org_id)
    await require_role_over(session, user_id=actor.id, org_id=org.id)
    return await org_stats_of(session, org=org, start=start, end=end)


async def org_stats_of(session: AsyncSession, *, org: Org, start: date | None, end: date | None) -> OrgStats:
    """`org_stats` for a node the caller has already looked up and checked."""
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
    """Labels from the figure table; time both as hours (read) and as minutes (summed)."""
    L = figures.label  # noqa: N806

    def time(key: str, minutes: int) -> list[tuple[str, object]]:
        return [(L(key), hours_text(minutes)), (f"{L(key)}（分钟）", minutes)]

    rate = s.events.on_time_rate
    return [
        ("组织", s.org_name),
        ("开始日期", s.from_.isoformat()),
        ("结束日期", s.to.isoformat()),
        (L("wishes.posted"), s.wishes.posted),
        (L("wishes.published"), s.wishes.published),
        (L("wishes.claimed"), s.wishes.claimed),
        (L("wishes.verified"), s.wishes.verified),
        *time("minutes_served", s.minutes_served),
        *time("wish_minutes", s.wish_minutes),
        *time("activity_minutes", s.activity_minutes),
        *time("duty_minutes", s.duty_minutes),
        (L("volunteers"), s.volunteers),
        (L("beneficiaries"), s.beneficiaries),
        (L("activities"), s.activities),
        (L("attendances"), s.attendances),
        (L("no_shows"), s.no_shows),
        (L("station_visits"), s.station_visits),
        (L("members_reported"), s.members_reported),
        ("其中已审核通过", s.members_approved),
        (L("members_rated"), s.members_rated),
        (L("events.reported"), s.events.reported),
        (L("events.closed"), s.events.closed),
        (L("events.on_time_rate"), "" if rate is None else round(rate, 4)),
        ("驿站服务人次", s.station_services),
        ("党员示范岗", s.demonstration_posts),
        ("志愿服务队", s.teams),
    ]


async def stats_workbook(s: OrgStats) -> bytes:
    """The figures as a two-column workbook."""
    return await xlsx.workbook("统计台账", ["指标", "数值"], _stats_rows(s), widths=[22, 24])


async def yearly_workbook(s: OrgStats, c: StatsCuts) -> bytes:
    """The node's yearly 台账: the figures, then one sheet per cut (by child, month, category, member
    type, employer unit), the most active volunteers and the timings; months sum to the total."""

    def group(cut) -> list:
        return [
            cut.people,
            hours_text(cut.minutes_served),
            cut.minutes_served,
            cut.wishes_done,
            cut.posts_claimed,
        ]

    group_headers = ["人数", "服务时长", "服务时长（分钟）", "完成心愿", "认领岗位"]
    return await xlsx.workbook_of(
        [
            ("汇总", ["指标", "数值"], _stats_rows(s)),
            (
                "按下级组织",
                ["组织", "心愿发布", "心愿验收", "服务时长", "服务时长（分钟）", "参与服务人数"],
                (
                    [
                        x.name,
                        x.wishes_posted,
                        x.wishes_verified,
                        hours_text(x.minutes_served),
                        x.minutes_served,
                        x.volunteers,
                    ]
                    for x in c.by_child
                ),
            ),
            (
                "按月",
                ["月份", "心愿发布", "心愿认领", "心愿验收", "服务时长", "服务时长（分钟）"],
                (
                    [
                        m.month,
                        m.wishes_posted,
                        m.wishes_claimed,
                        m.wishes_verified,
                        hours_text(m.minutes_served),
                        m.minutes_served,
                    ]
                    for m in c.by_month
                ),
            ),
            (
                "按类别",
                ["类别", "心愿发布", "心愿验收"],
                ([x.category, x.posted, x.verified] for x in c.by_category),
            ),
            ("按党员类型", ["类型", *group_headers], ([x.label, *group(x)] for x in c.by_member_type)),
            ("按共建单位", ["单位", *group_headers], ([x.name, *group(x)] for x in c.by_unit)),
            (
                "志愿者排行",
                ["名次", "姓名", "服务时长", "服务时长（分钟）"],
                (
                    [i, p.name, hours_text(p.minutes), p.minutes]
                    for i, p in enumerate(c.top_volunteers, start=1)
                ),
            ),
            (
                "办理时效",
                ["环节", "件数", "中位数（小时）", "90%（小时）"],
                (
                    [label, d.count, d.median_hours, d.p90_hours]
                    for label, d in (("上墙到认领", c.time_to_claim), ("认领到验收", c.time_to_finish))
                ),
            ),
        ],
        doc_title=f"{s.org_name}{s.from_.year}年度台账",
    )
