"""The cuts the alliance reports (issue 11 item 4): a subtree's figures by child node, by month, by
category, by member type and by employer unit; rankings; time to claim and to finish; and a member
unit's own figures. Every figure keeps its one definition (figures.FIGURES): the same dated queries
as `stats`, grouped differently.
"""

from collections import defaultdict
from datetime import date, datetime
from statistics import median

from sqlalchemy import and_, func, or_, union_all
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.db import china_day
from app.errors import NotFound
from app.models.activities import Activity
from app.models.cobuilding import CoBuildingAssessment
from app.models.member_reports import MEMBER_TYPE_LABELS, MemberReport, ReportStatus
from app.models.org import Org, OrgKind, UnitCommunity
from app.models.posts import Post, PostClaim
from app.models.stats import (
    CategoryCut,
    ChildCut,
    Duration,
    MemberTypeCut,
    MonthCut,
    PersonRank,
    StatsCuts,
    UnitCut,
    UnitStats,
)
from app.models.user import User
from app.models.wishes import Wish
from app.permissions import ADMIN_ONLY, alliance_id, has_role_over, in_subtree, require_role_over
from app.services import figures, lookups
from app.services import orgs as orgs_service
from app.services import stats as stats_service

MEMBER_TYPES = ("in_service", "retired", "mobile", "resident")
TYPE_LABELS = {**MEMBER_TYPE_LABELS, "resident": "群众"}


def _duration(hours: list[float]) -> Duration:
    """Median and 90th percentile (nearest rank) in hours, over the items that have one."""
    if not hours:
        return Duration(count=0, median_hours=None, p90_hours=None)
    ordered = sorted(hours)
    p90 = ordered[min(len(ordered) - 1, max(0, -(-len(ordered) * 9 // 10) - 1))]
    return Duration(count=len(ordered), median_hours=round(median(ordered), 1), p90_hours=round(p90, 1))


async def _service_by_person(
    session: AsyncSession, *, org: Org, lo: datetime, hi: datetime
) -> dict[int, int]:
    """Minutes credited per person for service in the subtree and period (the minutes_served figure)."""
    pieces = union_all(*stats_service._service_sources(org, lo, hi).values()).subquery()
    rows = await session.exec(select(pieces.c.uid, func.sum(pieces.c.minutes)).group_by(pieces.c.uid))
    return {uid: int(m) for uid, m in rows.all() if uid is not None}


async def _units_of(session: AsyncSession, user_ids: set[int]) -> dict[int, int]:
    """Each person's employer unit, from their latest approved report."""
    units: dict[int, int] = {}
    for part in lookups.chunks(user_ids):
        rows = await session.exec(
            select(MemberReport.user_id, MemberReport.employer_unit_id)
            .where(col(MemberReport.user_id).in_(part), MemberReport.status == ReportStatus.approved)
            .order_by(col(MemberReport.id))
        )
        units.update(dict(rows.all()))
    return units


# What each cut shows, each figure grouped in one statement (not one query per child or per month).
CHILD_KEYS = ("wishes.posted", "wishes.verified", "minutes_served", "volunteers")
MONTH_KEYS = (
    "wishes.posted",
    "wishes.claimed",
    "wishes.verified",
    "minutes_served",
    "activities",
    "attendances",
)


async def _grouped(
    session: AsyncSession,
    *,
    org: Org,
    lo: datetime,
    hi: datetime,
    now: datetime,
    by: str,
    keys: tuple[str, ...],
) -> dict[str, dict]:
    """Each figure in `keys` over the subtree and period, grouped by child node (its id) or by China
    month ('YYYY-MM'), from the figure's own records (figures.rows): the groups sum to the figure.
    `volunteers` counts distinct people per group (someone serving in two groups counts in each, as
    each group's own figure counts them)."""
    out: dict[str, dict] = {}
    for key in keys:
        source = "minutes_served" if key == "volunteers" else key
        sub = figures.rows(source, path=org.path, lo=lo, hi=hi, now=now).subquery()
        if key == "volunteers":
            value = func.count(func.distinct(sub.c.person_id))
        elif figures.BY_KEY[key].unit == "时长":
            value = func.coalesce(func.sum(sub.c.minutes), 0)
        else:
            value = func.count()
        if by == "month":
            group = func.substr(china_day(sub.c.at), 1, 7)
            stmt = select(group, value).select_from(sub)
        else:
            node, child = aliased(Org), aliased(Org)
            group = col(child.id)
            stmt = (
                select(group, value)
                .select_from(sub)
                .join(node, col(node.id) == sub.c.org_id)
                .join(child, and_(col(child.parent_id) == org.id, col(node.path).startswith(col(child.path))))
            )
        if key == "volunteers":
            stmt = stmt.where(sub.c.person_id.is_not(None))
        rows = (await session.exec(stmt.group_by(group))).all()
        out[key] = {k: int(v) for k, v in rows if k is not None}
    return out


async def cuts(
    session: AsyncSession, *, org_id: int, start: date | None, end: date | None, actor: User
) -> StatsCuts:
    """The subtree's figures cut by child, month, category, member type and unit, with rankings."""
    org = await orgs_service.get_org(session, org_id=org_id)
    await require_role_over(session, user_id=actor.id, org_id=org.id)
    return await cuts_of(session, org=org, start=start, end=end)


async def cuts_of(session: AsyncSession, *, org: Org, start: date | None, end: date | None) -> StatsCuts:
    """`cuts` for a node the caller has already looked up and checked."""
    day_from, day_to, lo, hi = stats_service.period(start, end)

    now = clock.now()
    children = [
        c
        for c in (await session.exec(select(Org).where(Org.parent_id == org.id).order_by(Org.id))).all()
        if c.kind != OrgKind.unit  # units are cut by employer below, not by place
    ]
    per_child = await _grouped(session, org=org, lo=lo, hi=hi, now=now, by="child", keys=CHILD_KEYS)
    by_child = [
        ChildCut(
            org_id=child.id,
            name=child.name,
            wishes_posted=per_child["wishes.posted"].get(child.id, 0),
            wishes_verified=per_child["wishes.verified"].get(child.id, 0),
            minutes_served=per_child["minutes_served"].get(child.id, 0),
            volunteers=per_child["volunteers"].get(child.id, 0),
        )
        for child in children
    ]
    per_month = await _grouped(session, org=org, lo=lo, hi=hi, now=now, by="month", keys=MONTH_KEYS)
    by_month = [
        MonthCut(
            month=(month := f"{first:%Y-%m}"),
            wishes_posted=per_month["wishes.posted"].get(month, 0),
            wishes_claimed=per_month["wishes.claimed"].get(month, 0),
            wishes_verified=per_month["wishes.verified"].get(month, 0),
            minutes_served=per_month["minutes_served"].get(month, 0),
            activities=per_month["activities"].get(month, 0),
            attendances=per_month["attendances"].get(month, 0),
        )
        for first, _ in stats_service.months(day_from, day_to)
    ]

    here = in_subtree(Wish.org_id, org.path)
    posted = dict(
        (
            await session.exec(
                select(Wish.category, func.count())
                .where(here, figures.dated("wishes.posted", lo, hi))
                .group_by(Wish.category)
            )
        ).all()
    )
    verified_rows = (
        await session.exec(
            select(Wish.category, Wish.claimer_id, Wish.published_at, Wish.verified_at, Wish.id).where(
                here, figures.dated("wishes.verified", lo, hi)
            )
        )
    ).all()
    verified: defaultdict[str, int] = defaultdict(int)
    for category, *_ in verified_rows:
        verified[category] += 1
    by_category = [
        CategoryCut(category=c, posted=int(posted.get(c, 0)), verified=verified.get(c, 0))
        for c in sorted(set(posted) | set(verified))
    ]

    minutes = await _service_by_person(session, org=org, lo=lo, hi=hi)
    done_by: defaultdict[int, int] = defaultdict(int)
    for _, claimer_id, *_ in verified_rows:
        if claimer_id is not None:
            done_by[claimer_id] += 1
    post_claims = (
        await session.exec(
            select(PostClaim.user_id, func.count())
            .join(Post, Post.id == PostClaim.post_id)
            .where(in_subtree(Post.org_id, org.path), PostClaim.claimed_at >= lo, PostClaim.claimed_at < hi)
            .group_by(PostClaim.user_id)
        )
    ).all()
    posts_by = {uid: int(n) for uid, n in post_claims}
    people_ids = set(minutes) | set(done_by) | set(posts_by)
    people = await lookups.users_by_id(session, people_ids)
    units = await _units_of(session, people_ids)

    def cut_of(ids) -> dict:
        ids = list(ids)
        return {
            "people": sum(1 for i in ids if minutes.get(i) or done_by.get(i) or posts_by.get(i)),
            "minutes_served": sum(minutes.get(i, 0) for i in ids),
            "wishes_done": sum(done_by.get(i, 0) for i in ids),
            "posts_claimed": sum(posts_by.get(i, 0) for i in ids),
        }

    groups: dict[str, list[int]] = defaultdict(list)
    for uid in people_ids:
        person = people.get(uid)
        kind = (person.member_type if person and person.is_party_member else None) or "resident"
        groups[kind if kind in MEMBER_TYPES else "resident"].append(uid)
    by_member_type = [
        MemberTypeCut(member_type=t, label=TYPE_LABELS[t], **cut_of(groups.get(t, []))) for t in MEMBER_TYPES
    ]
    unit_groups: dict[int, list[int]] = defaultdict(list)
    for uid in people_ids:
        if uid in units:
            unit_groups[units[uid]].append(uid)
    unit_names = (
        {o.id: o.name for o in (await session.exec(select(Org).where(Org.id.in_(list(unit_groups))))).all()}
        if unit_groups
        else {}
    )
    by_unit = sorted(
        (UnitCut(unit_id=u, name=unit_names.get(u, ""), **cut_of(ids)) for u, ids in unit_groups.items()),
        key=lambda c: (-c.minutes_served, -c.wishes_done, c.unit_id),
    )
    top = sorted(minutes.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    top_volunteers = [
        PersonRank(user_id=uid, name=people[uid].name if uid in people else "", minutes=m) for uid, m in top
    ]

    # Time to claim (publish → first claim, for wishes first claimed in the period) and to finish (first
    # claim → verify, for wishes verified in it), from the wishes' own milestones.
    timings = (
        await session.exec(
            select(Wish.first_claimed_at, Wish.published_at, Wish.verified_at).where(
                here,
                or_(figures.dated("wishes.claimed", lo, hi), figures.dated("wishes.verified", lo, hi)),
                col(Wish.first_claimed_at).is_not(None),
            )
        )
    ).all()
    to_claim = [
        (first_at - published_at).total_seconds() / 3600
        for first_at, published_at, _ in timings
        if published_at is not None and lo <= first_at < hi
    ]
    to_finish = [
        (verified_at - first_at).total_seconds() / 3600
        for first_at, _, verified_at in timings
        if verified_at is not None and lo <= verified_at < hi
    ]
    return StatsCuts(
        org_id=org.id,
        org_name=org.name,
        from_=day_from,
        to=day_to,
        by_child=by_child,
        by_month=by_month,
        by_category=by_category,
        by_member_type=by_member_type,
        by_unit=by_unit,
        top_volunteers=top_volunteers,
        time_to_claim=_duration(to_claim),
        time_to_finish=_duration(to_finish),
    )


async def _may_see_unit(session: AsyncSession, *, unit: Org, actor: User) -> bool:
    """The unit's admin, staff of its alliance, or staff of a community it is assigned to (who assess it)."""
    if await has_role_over(session, user_id=actor.id, org_id=unit.id, roles=ADMIN_ONLY):
        return True
    if await has_role_over(session, user_id=actor.id, org_id=alliance_id(unit)):
        return True
    communities = (
        await session.exec(select(UnitCommunity.community_id).where(UnitCommunity.unit_id == unit.id))
    ).all()
    for community_id in communities:
        if await has_role_over(session, user_id=actor.id, org_id=community_id):
            return True
    return False


async def unit_stats(
    session: AsyncSession, *, unit_id: int, start: date | None, end: date | None, actor: User
) -> UnitStats:
    """A member unit's own figures: wishes dispatched to it and done, its members' service, the
    activities it hosted, its co-building score (its admin, or staff of its alliance)."""
    unit = await session.get(Org, unit_id)
    if unit is None or unit.kind != OrgKind.unit:
        raise NotFound("共建单位不存在", code="unit_not_found")
    if not await _may_see_unit(session, unit=unit, actor=actor):
        raise NotFound("共建单位不存在", code="unit_not_found")
    day_from, day_to, lo, hi = stats_service.period(start, end)
    alliance = await session.get(Org, alliance_id(unit))
    dispatched = (
        await session.exec(
            select(func.count())
            .select_from(Wish)
            .where(Wish.assigned_org_id == unit.id, figures.dated("wishes.posted", lo, hi))
        )
    ).one()
    done = (
        await session.exec(
            select(func.count(), func.coalesce(func.sum(Wish.credit_minutes), 0)).where(
                Wish.assigned_org_id == unit.id, figures.dated("wishes.verified", lo, hi)
            )
        )
    ).one()
    members = set(
        (
            await session.exec(
                select(MemberReport.user_id).where(
                    MemberReport.employer_unit_id == unit.id, MemberReport.status == ReportStatus.approved
                )
            )
        ).all()
    )
    minutes = await _service_by_person(session, org=alliance, lo=lo, hi=hi)
    member_minutes = sum(m for uid, m in minutes.items() if uid in members)
    hosted = (
        await session.exec(
            select(func.count())
            .select_from(Activity)
            .where(
                (Activity.org_id == unit.id) | (Activity.host_org_id == unit.id),
                figures.dated("activities", lo, hi),
            )
        )
    ).one()
    scores = (
        await session.exec(
            select(CoBuildingAssessment.score).where(
                CoBuildingAssessment.unit_id == unit.id, CoBuildingAssessment.year == day_to.year
            )
        )
    ).all()
    return UnitStats(
        unit_id=unit.id,
        unit_name=unit.name,
        from_=day_from,
        to=day_to,
        wishes_dispatched=int(dispatched),
        wishes_done=int(done[0]),
        wish_minutes=int(done[1]),
        members=len(members),
        members_serving=sum(1 for uid in members if minutes.get(uid)),
        member_minutes=member_minutes,
        activities_hosted=int(hosted),
        assessment_score=round(sum(scores) / len(scores), 1) if scores else None,
    )


async def yearly_report(session: AsyncSession, *, org_id: int, year: int, actor: User) -> tuple[bytes, str]:
    """The node's yearly 台账 workbook (the year so far) and the node's name."""
    first, last = date(year, 1, 1), min(date(year, 12, 31), clock.today())
    org = await orgs_service.get_org(session, org_id=org_id)
    await require_role_over(session, user_id=actor.id, org_id=org.id)
    figures = await stats_service.org_stats_of(session, org=org, start=first, end=last)
    cut = await cuts_of(session, org=org, start=first, end=last)
    return await stats_service.yearly_workbook(figures, cut), figures.org_name
