"""Party members reporting to the branch where they live (在职党员双报到): report, review, move branch.

A report's status changes only through MACHINE below (app.statemachine); the database keeps one active report
per member per period (a unique key on `(user_id, period, active)` with `active` NULL once closed).
"""

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.clock import CHINA
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.models.feedback import MemberSettings
from app.models.member_reports import (
    REPORT_STATUS_LABELS,
    MemberReport,
    MemberReportStep,
    ReportCreate,
    ReportMove,
    ReportPublic,
    ReportReview,
    ReportStatus,
    ReportStepPublic,
)
from app.models.org import Org, OrgKind
from app.models.user import User
from app.pagination import PageParams, paginate
from app.permissions import ADMIN_ONLY, alliance_id, covered_by_role, has_role_over, in_subtree, path_of
from app.services import audit, figures, lookups
from app.services import orgs as orgs_service
from app.statemachine import Machine, move

S = ReportStatus
BRANCH_KINDS = (OrgKind.community, OrgKind.compound, OrgKind.grid)

# The only place that says which report state may follow which; each move writes a step.
MACHINE = Machine(
    model=MemberReport,
    transitions={
        "approve": move({S.pending}, S.approved),
        "reject": move({S.pending}, S.rejected),
        "move": move({S.pending, S.approved}, S.moved),
    },
    history=lambda report, at, actor_id, action, _src, _dst, note: MemberReportStep(
        report_id=report.id, at=at, actor_id=actor_id, action=action, note=note
    ),
    noun="报到记录",
    labels=REPORT_STATUS_LABELS,
)


def this_year() -> int:
    """The current year in China."""
    return clock.today().year


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The first instant of the year and of the next, China time, as UTC-aware datetimes."""
    return datetime(year, 1, 1, tzinfo=CHINA), datetime(year + 1, 1, 1, tzinfo=CHINA)


def year_dates(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


async def member_settings(session: AsyncSession, *, alliance_id: int) -> MemberSettings:
    """The alliance's settings for reports and feedback (defaults when none were saved)."""
    row = (
        await session.exec(select(MemberSettings).where(MemberSettings.alliance_id == alliance_id))
    ).first()
    return row or MemberSettings(alliance_id=alliance_id)


async def current_period(session: AsyncSession, *, branch: Org) -> tuple[int, str]:
    """(year, period) a report made now belongs to: the year, or its half where the alliance re-reports twice."""
    local = clock.today()
    settings = await member_settings(session, alliance_id=alliance_id(branch))
    if settings.half_yearly_re_report:
        return local.year, f"{local.year}-H{1 if local.month <= 6 else 2}"
    return local.year, str(local.year)


# ---- reading ----


async def _get(session: AsyncSession, report_id: int) -> MemberReport:
    report = await session.get(MemberReport, report_id)
    if report is None:
        raise NotFound("报到记录不存在", code="report_not_found")
    return report


async def to_public(
    session: AsyncSession, reports: list[MemberReport], *, viewer: User, with_steps: bool = False
) -> list[ReportPublic]:
    """Reports as the viewer sees them; phones only for the member and staff over the branch."""
    names = await lookups.org_names(
        session, [r.org_id for r in reports] + [r.employer_unit_id for r in reports]
    )
    people = await lookups.users_by_id(session, [r.user_id for r in reports])
    steps: dict[int, list[ReportStepPublic]] = {}
    if with_steps and reports:
        rows = (
            await session.exec(
                select(MemberReportStep)
                .where(col(MemberReportStep.report_id).in_([r.id for r in reports]))
                .order_by(col(MemberReportStep.id))
            )
        ).all()
        for s in rows:
            steps.setdefault(s.report_id, []).append(
                ReportStepPublic(at=s.at, actor_id=s.actor_id, action=s.action, note=s.note)
            )
    staff_cache: dict[int, bool] = {}
    out = []
    for r in reports:
        if r.org_id not in staff_cache:
            staff_cache[r.org_id] = await has_role_over(
                session, user_id=cast(int, viewer.id), org_id=r.org_id
            )
        member = people[r.user_id]
        out.append(
            ReportPublic(
                id=cast(int, r.id),
                user=lookups.person_brief(member, show_phone=viewer.id == r.user_id or staff_cache[r.org_id]),
                member_type=member.member_type,
                org_id=r.org_id,
                org_name=names.get(r.org_id),
                employer_unit_id=r.employer_unit_id,
                employer_unit_name=names.get(r.employer_unit_id) if r.employer_unit_id else None,
                year=r.year,
                period=r.period,
                status=ReportStatus(r.status),
                skills=list(r.skills),
                availability=r.availability,
                note=r.note,
                previous_id=r.previous_id,
                reject_reason=r.reject_reason,
                reviewed_at=r.reviewed_at,
                created_at=r.created_at,
                events=steps.get(cast(int, r.id), []),
            )
        )
    return out


async def can_see_report(session: AsyncSession, report: MemberReport, *, actor: User) -> bool:
    """The member, staff over the branch, and the admin of the employer unit may see a report."""
    return (
        actor.id == report.user_id
        or await has_role_over(session, user_id=cast(int, actor.id), org_id=report.org_id)
        or await has_role_over(
            session, user_id=cast(int, actor.id), org_id=report.employer_unit_id, roles=ADMIN_ONLY
        )
    )


async def get_report(session: AsyncSession, *, report_id: int, actor: User) -> ReportPublic:
    """One report with its history, for those who may see it; anyone else gets 404."""
    report = await _get(session, report_id)
    if not await can_see_report(session, report, actor=actor):
        raise NotFound("报到记录不存在", code="report_not_found")
    return (await to_public(session, [report], viewer=actor, with_steps=True))[0]


async def list_reports(
    session: AsyncSession,
    *,
    actor: User,
    params: PageParams,
    org_id: int | None = None,
    status: str | None = None,
    year: int | None = None,
    mine: bool = False,
) -> tuple[list[ReportPublic], str | None]:
    """Your own reports (`mine`), or the reports of the branches your role covers."""
    stmt = select(MemberReport)
    if mine:
        stmt = stmt.where(MemberReport.user_id == actor.id)
    else:
        stmt = stmt.where(covered_by_role(cast(int, actor.id), MemberReport.org_id))
    if org_id is not None:
        stmt = stmt.where(in_subtree(MemberReport.org_id, path_of(org_id)))
    if status:
        stmt = stmt.where(MemberReport.status == status)
    if year:
        stmt = stmt.where(MemberReport.year == year)
    rows, cursor = await paginate(session, stmt, MemberReport.id, params)
    return await to_public(session, rows, viewer=actor), cursor


async def reports_of(session: AsyncSession, *, user_id: int, year: int | None = None) -> list[MemberReport]:
    """A member's reports (of one year, if given), newest first."""
    stmt = select(MemberReport).where(MemberReport.user_id == user_id)
    if year is not None:
        stmt = stmt.where(MemberReport.year == year)
    return list((await session.exec(stmt.order_by(col(MemberReport.id).desc()))).all())


async def approved_report_under(session: AsyncSession, *, user_id: int, org: Org) -> MemberReport | None:
    """The member's active approved report to `org` or a branch under it, if any."""
    stmt = (
        select(MemberReport)
        .where(
            MemberReport.user_id == user_id,
            MemberReport.status == S.approved,
            MemberReport.active == 1,
            in_subtree(MemberReport.org_id, org.path),
        )
        .order_by(col(MemberReport.id).desc())
        .limit(1)
    )
    return (await session.exec(stmt)).first()


# ---- writing ----


async def _branch(session: AsyncSession, org_id: int) -> Org:
    org = await session.get(Org, org_id)
    if org is None or org.kind not in BRANCH_KINDS:
        raise ValidationFailed("请选择居住地所在的社区、小区或网格", code="invalid_branch")
    return org


async def _employer(session: AsyncSession, unit_id: int, branch: Org) -> Org:
    unit = await session.get(Org, unit_id)
    if unit is None or unit.kind != OrgKind.unit or alliance_id(unit) != alliance_id(branch):
        raise ValidationFailed("请选择本联盟的共建单位作为工作单位", code="invalid_employer_unit")
    return unit


def _step(
    session: AsyncSession, report_id: int, action: str, actor_id: int | None, note: str | None = None
) -> None:
    session.add(
        MemberReportStep(report_id=report_id, at=clock.now(), actor_id=actor_id, action=action, note=note)
    )


async def _insert_report(session: AsyncSession, report: MemberReport) -> MemberReport:
    try:
        async with session.begin_nested():
            session.add(report)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("您本年度已经报到过了，如需变更请办理转移", code="already_reported") from exc
    return report


async def create_report(session: AsyncSession, *, data: ReportCreate, actor: User) -> ReportPublic:
    """Report to the branch where you live: `pending` until its staff review it."""
    if not actor.is_party_member:
        raise Forbidden("只有党员可以到社区报到，请先在“我的”中填写党员身份", code="not_a_party_member")
    branch = await _branch(session, data.org_id)
    await _employer(session, data.employer_unit_id, branch)
    year, period = await current_period(session, branch=branch)
    existing = (
        await session.exec(
            select(MemberReport.id).where(
                MemberReport.user_id == actor.id, MemberReport.period == period, MemberReport.active == 1
            )
        )
    ).first()
    if existing is not None:
        raise Conflict("您本年度已经报到过了，如需变更请办理转移", code="already_reported")
    now = clock.now()
    report = await _insert_report(
        session,
        MemberReport(
            user_id=cast(int, actor.id),
            org_id=cast(int, branch.id),
            employer_unit_id=data.employer_unit_id,
            year=year,
            period=period,
            skills=list(data.skills),
            availability=data.availability,
            note=data.note or "",
            created_at=now,
            updated_at=now,
        ),
    )
    _step(session, cast(int, report.id), "report", actor.id, data.note)
    await session.commit()
    return (await to_public(session, [report], viewer=actor, with_steps=True))[0]


async def review_report(
    session: AsyncSession, *, report_id: int, data: ReportReview, actor: User
) -> ReportPublic:
    """Staff over the branch approve a report, or reject it with a reason."""
    report = await _get(session, report_id)
    if not await has_role_over(session, user_id=cast(int, actor.id), org_id=report.org_id):
        if await can_see_report(session, report, actor=actor):
            raise Forbidden("只有报到社区的工作人员可以审核")
        raise NotFound("报到记录不存在", code="report_not_found")
    if report.user_id == actor.id:
        raise Forbidden("不能审核自己的报到，请由其他工作人员审核", code="cannot_review_own_report")
    reason = (data.reason or "").strip()
    if not data.approve and not reason:
        raise ValidationFailed(
            "请填写未通过的原因",
            code="reason_required",
            extra={"errors": [{"field": "reason", "code": "missing", "message": "请填写未通过的原因"}]},
        )
    action = "approve" if data.approve else "reject"
    values: dict[str, Any] = {"reviewer_id": actor.id, "reviewed_at": clock.now()}
    if not data.approve:
        values.update(active=None, reject_reason=reason)
    await MACHINE.apply_or_conflict(
        session, report, action, actor_id=actor.id, note=reason or None, values=values
    )
    await audit.record(
        session,
        actor_id=actor.id,
        action=f"member_report.{action}",
        object_type="member_report",
        object_id=report.id,
        org_id=report.org_id,
        detail={"reason": reason} if reason else None,
    )
    await session.commit()
    return (await to_public(session, [report], viewer=actor, with_steps=True))[0]


async def move_report(
    session: AsyncSession, *, report_id: int, data: ReportMove, actor: User
) -> ReportPublic:
    """Move your report to another branch (you moved house): the old one is kept as `moved`, a new one is pending."""
    report = await _get(session, report_id)
    if report.user_id != actor.id:
        raise NotFound("报到记录不存在", code="report_not_found")
    branch = await _branch(session, data.org_id)
    if branch.id == report.org_id:
        raise ValidationFailed("新的报到地与原报到地相同", code="same_branch")
    await MACHINE.apply_or_conflict(
        session, report, "move", actor_id=actor.id, note=f"转至{branch.name}", values={"active": None}
    )
    now = clock.now()
    new = await _insert_report(
        session,
        MemberReport(
            user_id=actor.id,
            org_id=cast(int, branch.id),
            employer_unit_id=report.employer_unit_id,
            year=report.year,
            period=report.period,
            skills=list(report.skills),
            availability=report.availability,
            note=data.note or report.note,
            previous_id=report.id,
            created_at=now,
            updated_at=now,
        ),
    )
    _step(session, cast(int, new.id), "report", actor.id, data.note or "转移报到")
    await session.commit()
    return (await to_public(session, [new], viewer=actor, with_steps=True))[0]


async def org_choices(session: AsyncSession, *, kinds, within: Org | None = None) -> list[Org]:
    """Nodes of the given kinds (under `within`, if given), in tree order, for the pages' pickers."""
    stmt = select(Org).where(col(Org.kind).in_(tuple(kinds)))
    if within is not None:
        stmt = stmt.where(in_subtree(Org.id, within.path))
    return list((await session.exec(stmt.order_by(Org.path).limit(500))).all())


async def alliance_of_user(session: AsyncSession, *, user: User) -> Org | None:
    """The alliance the person lives in (by their home org), if they have one."""
    if not user.home_org_id:
        return None
    home = await session.get(Org, user.home_org_id)
    return await session.get(Org, alliance_id(home)) if home else None


async def member_figures(
    session: AsyncSession, *, org_id: int, start: datetime | None = None, end: datetime | None = None
) -> dict:
    """Party members who reported to branches in the subtree in [start, end), and how the year's forms rate them.

    `reported` counts people (not reports; rejected ones left out), `approved` those approved, `pending`
    those waiting; `rated` yearly forms written in the period, `ratings` by rating.
    """
    scope = await orgs_service.get_org(session, org_id=org_id)
    stmt = (
        select(MemberReport.status, func.count(func.distinct(MemberReport.user_id)))
        .where(in_subtree(MemberReport.org_id, scope.path))
        .group_by(MemberReport.status)
    )
    if start is not None:
        stmt = stmt.where(MemberReport.created_at >= start)
    if end is not None:
        stmt = stmt.where(MemberReport.created_at < end)
    # The two figures (people reported, yearly forms written) by their one definition (figures.rows).
    now = clock.now()
    lo = start or datetime(1970, 1, 1, tzinfo=now.tzinfo)
    hi = end or datetime(9999, 1, 1, tzinfo=now.tzinfo)
    rated = figures.rows("members_rated", path=scope.path, lo=lo, hi=hi, now=now).subquery()
    fb = select(rated.c.title, func.count()).group_by(rated.c.title)  # title: the rating
    by_status = dict((await session.exec(stmt)).all())
    ratings = dict((await session.exec(fb)).all())
    people_stmt = select(figures.count("members_reported", path=scope.path, lo=lo, hi=hi, now=now))
    return {
        "reported": int((await session.exec(people_stmt)).one()),
        "approved": int(by_status.get(S.approved, 0)),
        "pending": int(by_status.get(S.pending, 0)),
        "rated": sum(ratings.values()),
        "ratings": {k: int(ratings.get(k, 0)) for k in ("excellent", "qualified", "basic", "unqualified")},
    }
