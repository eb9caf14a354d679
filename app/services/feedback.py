"""The feedback form (在职党员社区表现反馈表): the branch rates each reported member once a year (and,
where the alliance asks, on a quarterly service card); the employer unit's admin reads and exports them."""

from datetime import date
from typing import Any, cast

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.models.feedback import (
    RATING_LABELS,
    FeedbackPublic,
    MemberFeedback,
    MemberSettings,
    MemberSettingsIn,
    MemberSettingsPublic,
    Rating,
    RatingIn,
)
from app.models.member_reports import MemberReport, ReportStatus
from app.models.org import Org, OrgKind
from app.models.posts import PostPublic
from app.models.user import User
from app.pagination import PageParams, paginate
from app.permissions import (
    ADMIN_ONLY,
    alliance_id,
    covered_by_role,
    has_role_over,
    require_role_over,
    roles_with_orgs,
)
from app.services import alliance_settings, audit, lookups, stats_cuts
from app.services import cobuilding as cobuilding_service
from app.services import member_reports as reports_service
from app.services import orgs as orgs_service
from app.services import posts as posts_service


async def to_public(
    session: AsyncSession, rows: list[MemberFeedback], *, viewer: User
) -> list[FeedbackPublic]:
    names = await lookups.org_names(session, [f.org_id for f in rows] + [f.employer_unit_id for f in rows])
    people = await lookups.users_by_id(session, [f.user_id for f in rows])
    staff: dict[int, bool] = {}
    out = []
    for f in rows:
        if f.org_id not in staff:
            staff[f.org_id] = await has_role_over(session, user_id=cast(int, viewer.id), org_id=f.org_id)
        out.append(
            FeedbackPublic(
                id=cast(int, f.id),
                user=lookups.person_brief(
                    people[f.user_id], show_phone=viewer.id == f.user_id or staff[f.org_id]
                ),
                year=f.year,
                period=f.period,
                kind=f.kind,
                org_id=f.org_id,
                org_name=names.get(f.org_id),
                employer_unit_id=f.employer_unit_id,
                employer_unit_name=names.get(f.employer_unit_id),
                rating=Rating(f.rating),
                rating_label=RATING_LABELS[f.rating],
                comment=f.comment,
                rater_id=f.rater_id,
                rated_at=f.rated_at,
            )
        )
    return out


async def _report_to_rate(session: AsyncSession, *, user_id: int, year: int, actor: User) -> MemberReport:
    """The member's report for the year that the actor may rate; 404 if the actor may not see it."""
    reports = await reports_service.reports_of(session, user_id=user_id, year=year)
    approved = [
        r for r in reports if r.status in (ReportStatus.approved, ReportStatus.moved) and r.reviewed_at
    ]
    for r in approved:  # newest first: the branch the member belongs to now rates them
        if await has_role_over(session, user_id=cast(int, actor.id), org_id=r.org_id):
            return r
    for r in reports:
        if await reports_service.can_see_report(session, r, actor=actor):
            if r.status == ReportStatus.pending and await has_role_over(
                session, user_id=cast(int, actor.id), org_id=r.org_id
            ):
                raise Conflict("该党员的报到尚未审核通过，暂不能评定", code="report_not_approved")
            raise Forbidden("只有报到社区的工作人员可以评定")
    raise NotFound("找不到该党员本年度的报到记录", code="report_not_found")


async def rate_member(
    session: AsyncSession, *, user_id: int, year: int, data: RatingIn, actor: User, quarter: int | None = None
) -> FeedbackPublic:
    """Rate a member for a year (or a quarter's service card): staff or admin over their branch."""
    report = await _report_to_rate(session, user_id=user_id, year=year, actor=actor)
    if user_id == actor.id:
        raise Forbidden("不能评定自己，请由其他工作人员评定", code="cannot_rate_self")
    if quarter is not None:
        branch = await orgs_service.get_org(session, org_id=report.org_id)
        settings = await reports_service.member_settings(session, alliance_id=alliance_id(branch))
        if not settings.quarterly_service_cards:
            raise Conflict("本联盟未启用季度服务卡", code="service_cards_disabled")
    period, kind = (f"{year}-Q{quarter}", "quarterly") if quarter else (str(year), "yearly")
    values: dict[str, Any] = dict(
        report_id=report.id,
        org_id=report.org_id,
        employer_unit_id=report.employer_unit_id,
        rating=data.rating.value,
        comment=data.comment,
        rater_id=actor.id,
        rated_at=clock.now(),
    )
    row = (
        await session.exec(
            select(MemberFeedback)
            .where(MemberFeedback.user_id == user_id, MemberFeedback.period == period)
            .with_for_update()
        )
    ).first()
    if row is None:
        try:
            async with session.begin_nested():
                row = MemberFeedback(user_id=user_id, year=year, period=period, kind=kind, **values)
                session.add(row)
                await session.flush()
        except IntegrityError:  # rated by someone else in the same instant: this rating wins
            row = (
                await session.exec(
                    select(MemberFeedback)
                    .where(MemberFeedback.user_id == user_id, MemberFeedback.period == period)
                    .with_for_update()
                )
            ).one()
    for key, value in values.items():
        setattr(row, key, value)
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action="member_feedback.rate",
        object_type="member_feedback",
        object_id=row.id,
        org_id=report.org_id,
        detail={"user_id": user_id, "period": period, "rating": row.rating},
    )
    await session.commit()
    return (await to_public(session, [row], viewer=actor))[0]


async def forms_of(
    session: AsyncSession, *, user_id: int, viewer: User, year: int | None = None
) -> list[FeedbackPublic]:
    """A member's forms the viewer may read: all of them for the member; by branch or employer otherwise."""
    stmt = select(MemberFeedback).where(MemberFeedback.user_id == user_id)
    if year is not None:
        stmt = stmt.where(MemberFeedback.year == year)
    if viewer.id != user_id:
        stmt = stmt.where(
            or_(
                covered_by_role(cast(int, viewer.id), MemberFeedback.org_id),
                covered_by_role(cast(int, viewer.id), MemberFeedback.employer_unit_id, ADMIN_ONLY),
            )
        )
    rows = (await session.exec(stmt.order_by(col(MemberFeedback.period).desc()))).all()
    return await to_public(session, list(rows), viewer=viewer)


async def member_forms(session: AsyncSession, *, user_id: int, actor: User) -> list[FeedbackPublic]:
    """Your own forms, or a member's forms you may read; nothing to read is 404."""
    forms = await forms_of(session, user_id=user_id, viewer=actor)
    if not forms and actor.id != user_id:
        raise NotFound("找不到该党员的反馈表", code="feedback_not_found")
    return forms


async def unit_admin(session: AsyncSession, *, unit_id: int, actor: User) -> Org:
    unit = await session.get(Org, unit_id)
    if unit is None or unit.kind != OrgKind.unit:
        raise NotFound("共建单位不存在", code="unit_not_found")
    await require_role_over(session, user_id=cast(int, actor.id), org_id=cast(int, unit.id), roles=ADMIN_ONLY)
    return unit


def unit_stmt(unit_id: int, year: int):
    return select(MemberFeedback).where(
        MemberFeedback.employer_unit_id == unit_id,
        MemberFeedback.year == year,
        MemberFeedback.kind == "yearly",
    )


async def unit_forms(
    session: AsyncSession, *, unit_id: int, year: int, actor: User, params: PageParams
) -> tuple[list[FeedbackPublic], str | None]:
    """The yearly forms of the unit's members, for the unit's admin."""
    await unit_admin(session, unit_id=unit_id, actor=actor)
    rows, cursor = await paginate(
        session, unit_stmt(unit_id, year), MemberFeedback.id, params, newest_first=False
    )
    return await to_public(session, rows, viewer=actor), cursor


# ---- the alliance's settings ----


async def get_settings(session: AsyncSession, *, alliance_id: int, actor: User) -> MemberSettingsPublic:
    """The alliance's reporting and feedback periods."""
    await alliance_settings.get_alliance(session, alliance_id=alliance_id)
    row = await reports_service.member_settings(session, alliance_id=alliance_id)
    return MemberSettingsPublic(
        alliance_id=alliance_id,
        quarterly_service_cards=row.quarterly_service_cards,
        half_yearly_re_report=row.half_yearly_re_report,
    )


async def put_settings(
    session: AsyncSession, *, alliance_id: int, data: MemberSettingsIn, actor: User
) -> MemberSettingsPublic:
    """Turn quarterly service cards and half-yearly re-reports on or off (alliance admin)."""
    values = data.model_dump()
    await alliance_settings.save(
        session,
        model=MemberSettings,
        alliance_id=alliance_id,
        values=values,
        actor=actor,
        action="member_settings.update",
    )
    return MemberSettingsPublic(alliance_id=alliance_id, **values)


def check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise ValidationFailed("年度不正确", code="invalid_year")


# ---- the staff console's page ----


async def admin_page(session: AsyncSession, *, user: User, year: int, unit_id: int | None = None) -> dict:
    """The /admin/reports page: reports to review, members to rate, posts, and the units the person administers."""
    pending, _ = await reports_service.list_reports(
        session, actor=user, params=PageParams(limit=100), status=ReportStatus.pending
    )
    approved, _ = await reports_service.list_reports(
        session, actor=user, params=PageParams(limit=100), status=ReportStatus.approved, year=year
    )
    rated = {}
    if approved:
        rows = (
            await session.exec(
                select(MemberFeedback).where(
                    MemberFeedback.period == str(year),
                    col(MemberFeedback.user_id).in_([r.user.id for r in approved]),
                )
            )
        ).all()
        rated = {f.user_id: f for f in rows}
    roles = await roles_with_orgs(session, user_id=cast(int, user.id))
    post_orgs: list[Org] = []
    for _role, org in roles:
        if org.kind != OrgKind.unit:
            post_orgs.extend(
                o
                for o in await reports_service.org_choices(
                    session, kinds=reports_service.BRANCH_KINDS, within=org
                )
                if o.id not in {p.id for p in post_orgs}
            )
    posts: list[PostPublic] = []
    for org in [org for role, org in roles if org.kind != OrgKind.unit][:5]:
        items, _ = await posts_service.list_posts(
            session, org_id=cast(int, org.id), actor=user, params=PageParams(limit=100)
        )
        posts.extend(p for p in items if p.id not in {q.id for q in posts})
    units = [org for role, org in roles if org.kind == OrgKind.unit and role.role == "admin"]
    unit_view = None
    chosen = next((u for u in units if u.id == unit_id), units[0] if units else None)
    if chosen is not None:
        forms, _ = await unit_forms(
            session, unit_id=cast(int, chosen.id), year=year, actor=user, params=PageParams(limit=100)
        )
        unit_view = {
            "unit": chosen,
            "forms": forms,
            **await cobuilding_service.unit_work(session, unit_id=cast(int, chosen.id)),
            "agreements": await cobuilding_service.list_agreements(
                session, unit_id=cast(int, chosen.id), actor=user
            ),
            "assessments": await cobuilding_service.list_assessments(
                session, unit_id=cast(int, chosen.id), actor=user
            ),
            "stats": await stats_cuts.unit_stats(
                session,
                unit_id=cast(int, chosen.id),
                start=date(year, 1, 1),
                end=min(clock.today(), date(year, 12, 31)),
                actor=user,
            ),
        }
    alliance_ids = {alliance_id(org) for _role, org in roles}
    quarterly = [await reports_service.member_settings(session, alliance_id=a) for a in sorted(alliance_ids)]
    return {
        "year": year,
        "pending": pending,
        "approved": approved,
        "rated": rated,
        "post_orgs": post_orgs,
        "quarterly_cards": any(m.quarterly_service_cards for m in quarterly),
        "this_quarter": (clock.today().month - 1) // 3 + 1,
        "posts": posts,
        "units": units,
        "unit_view": unit_view,
        "rating_labels": RATING_LABELS,
        "cobuilding": await cobuilding_service.community_units(session, user=user, year=year),
    }
