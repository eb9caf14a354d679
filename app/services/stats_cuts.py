"""The cuts the alliance reports (issue 11 item 4): a subtree's figures by child node, by month, by
category, by member type and by employer unit; rankings; time to claim and to finish; and a member
unit's own figures. Every figure keeps its one definition (figures.FIGURES): the same dated queries
as `stats`, grouped differently.
"""

from collections import defaultdict
from datetime import date, datetime
from statistics import median

from sqlalchemy import func, union_all
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
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
from app.models.wishes import Wish, WishClaim
from app.permissions import ADMIN_ONLY, alliance_id, has_role_over, in_subtree, require_role_over
from app.services import activities as activities_service
from app.services import figures
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
    if not user_ids:
        return {}
    rows = await session.exec(
        select(MemberReport.user_id, MemberReport.employer_unit_id)
        .where(MemberReport.user_id.in_(user_ids), MemberReport.status == ReportStatus.approved)
        .order_by(MemberReport.id)
    )
    return dict(rows.all())


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

    children = (await session.exec(select(Org).where(Org.parent_id == org.id).order_by(Org.id))).all()
    by_child = []
    for child in children:
        if child.kind == OrgKind.unit:
            continue  # units are cut by employer below, not by place
        service = await stats_service.service_figures(session, org=child, lo=lo, hi=hi)
        funnel = await stats_service.wish_funnel(session, org=child, lo=lo, hi=hi)
        by_child.append(
            ChildCut(
                org_id=child.id,
                name=child.name,
                wishes_posted=funnel.posted,
                wishes_verified=funnel.verified,
                minutes_served=service["minutes_served"],
                volunteers=service["volunteers"],
            )
        )

    by_month = []
    for first, last in stats_service.months(day_from, day_to):
        m_lo, m_hi = stats_service.instants(max(first, day_from), min(last, day_to))
        service = await stats_service.service_figures(session, org=org, lo=m_lo, hi=m_hi)
        funnel = await stats_service.wish_funnel(session, org=org, lo=m_lo, hi=m_hi)
        activity = await activities_service.summary(session, org_id=org.id, start=m_lo, end=m_hi)
        by_month.append(
            MonthCut(
                month=f"{first:%Y-%m}",
                wishes_posted=funnel.posted,
                wishes_claimed=funnel.claimed,
                wishes_verified=funnel.verified,
                minutes_served=service["minutes_served"],
                activities=activity["activities"],
                attendances=activity["attendances"],
            )
        )

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
    people = (
        {u.id: u for u in (await session.exec(select(User).where(User.id.in_(people_ids)))).all()}
        if people_ids
        else {}
    )
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

    first_claims = dict(
        (
            await session.exec(
                select(WishClaim.wish_id, func.min(WishClaim.claimed_at))
                .join(Wish, Wish.id == WishClaim.wish_id)
                .where(here, WishClaim.claimed_at < hi)
                .group_by(WishClaim.wish_id)
            )
        ).all()
    )
    to_claim = (
        [
            (at - w.published_at).total_seconds() / 3600
            for w in (
                await session.exec(
                    select(Wish).where(here, Wish.id.in_(list(first_claims)), Wish.published_at.is_not(None))
                )
            ).all()
            if (at := first_claims[w.id]) is not None and lo <= at < hi
        ]
        if first_claims
        else []
    )
    to_finish = [
        (verified_at - first_claims[wid]).total_seconds() / 3600
        for _, _, _, verified_at, wid in verified_rows
        if first_claims.get(wid) is not None
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
