"""Co-building (共驻共建): agreements between member units and the communities they are assigned to,
and the yearly score each community gives each unit (考核赋分)."""

import calendar
from datetime import date, timedelta
from typing import cast

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.errors import Conflict, NotFound, ValidationFailed
from app.models.cobuilding import (
    AgreementCreate,
    AgreementPublic,
    AssessmentIn,
    AssessmentPublic,
    CoBuildingAgreement,
    CoBuildingAssessment,
)
from app.models.org import Org, OrgKind, UnitCommunity
from app.models.resources import UnitResource
from app.models.user import User
from app.models.wishes import STATUS_LABELS, Wish
from app.permissions import ADMIN_ONLY, covered_by_role, has_role_over, orgs_with_role, require_role_over
from app.services import audit, lookups
from app.services import member_reports as reports_service


def ends_on(signed_on: date, term_months: int) -> date:
    """The last day an agreement runs: `term_months` after signing, less a day."""
    month = signed_on.month - 1 + term_months
    year, month = signed_on.year + month // 12, month % 12 + 1
    day = min(signed_on.day, calendar.monthrange(year, month)[1])
    return date(year, month, day) - timedelta(days=1)


async def _unit(session: AsyncSession, unit_id: int) -> Org:
    unit = await session.get(Org, unit_id)
    if unit is None or unit.kind != OrgKind.unit:
        raise NotFound("共建单位不存在", code="unit_not_found")
    return unit


async def assigned_community(session: AsyncSession, *, unit: Org, community_id: int, actor: User) -> Org:
    """The community, which the actor administers and the unit is assigned to."""
    community = await session.get(Org, community_id)
    if community is None or community.kind != OrgKind.community:
        raise ValidationFailed("请选择社区", code="invalid_community")
    await require_role_over(
        session, user_id=cast(int, actor.id), org_id=cast(int, community.id), roles=ADMIN_ONLY
    )
    assigned = (
        await session.exec(
            select(UnitCommunity.id).where(
                UnitCommunity.unit_id == unit.id, UnitCommunity.community_id == community.id
            )
        )
    ).first()
    if assigned is None:
        raise Conflict("该单位尚未分配到本社区", code="unit_not_assigned")
    return community


def _names(*orgs: Org) -> dict[int, str]:
    return {cast(int, org.id): org.name for org in orgs}


def agreement_public(a: CoBuildingAgreement, names: dict[int, str]) -> AgreementPublic:
    return AgreementPublic(
        id=cast(int, a.id),
        unit_id=a.unit_id,
        unit_name=names.get(a.unit_id),
        community_id=a.community_id,
        community_name=names.get(a.community_id),
        signed_on=a.signed_on,
        term_months=a.term_months,
        ends_on=ends_on(a.signed_on, a.term_months),
        commitments=list(a.commitments),
        created_at=a.created_at,
    )


async def create_agreement(
    session: AsyncSession, *, unit_id: int, data: AgreementCreate, actor: User
) -> AgreementPublic:
    """Record a signed co-building agreement (admin of the community)."""
    unit = await _unit(session, unit_id)
    community = await assigned_community(session, unit=unit, community_id=data.community_id, actor=actor)
    row = CoBuildingAgreement(
        unit_id=cast(int, unit.id),
        community_id=cast(int, community.id),
        signed_on=data.signed_on,
        term_months=data.term_months,
        commitments=list(data.commitments),
        created_by_id=actor.id,
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action="cobuilding.agreement",
        object_type="cobuilding_agreement",
        object_id=row.id,
        org_id=community.id,
        detail={"unit_id": unit.id},
    )
    await session.commit()
    return agreement_public(row, _names(unit, community))


async def _visible(session: AsyncSession, *, unit: Org, actor: User, community_column):
    """SQL scope: everything for the unit's admin, else the rows of communities the actor covers."""
    if await has_role_over(session, user_id=cast(int, actor.id), org_id=cast(int, unit.id), roles=ADMIN_ONLY):
        return None
    return covered_by_role(cast(int, actor.id), community_column)


async def list_agreements(session: AsyncSession, *, unit_id: int, actor: User) -> list[AgreementPublic]:
    """A unit's agreements: all for its admin, a community's own for that community's staff."""
    unit = await _unit(session, unit_id)
    stmt = select(CoBuildingAgreement).where(CoBuildingAgreement.unit_id == unit.id)
    scope = await _visible(session, unit=unit, actor=actor, community_column=CoBuildingAgreement.community_id)
    if scope is not None:
        stmt = stmt.where(scope)
    rows = (await session.exec(stmt.order_by(col(CoBuildingAgreement.signed_on).desc()))).all()
    names = await lookups.org_names(session, [unit.id] + [r.community_id for r in rows])
    return [agreement_public(r, names) for r in rows]


def assessment_public(a: CoBuildingAssessment, names: dict[int, str]) -> AssessmentPublic:
    return AssessmentPublic(
        id=cast(int, a.id),
        unit_id=a.unit_id,
        unit_name=names.get(a.unit_id),
        community_id=a.community_id,
        community_name=names.get(a.community_id),
        year=a.year,
        score=a.score,
        reasons=a.reasons,
        rated_at=a.rated_at,
        items=list(a.items or []),
        total=weighted_total(a.items) if a.items else float(a.score),
        approved=a.approved_at is not None,
        approved_at=a.approved_at,
    )


def weighted_total(items: list[dict]) -> float:
    """The weighted total of itemised scores (weights sum to 100), to one decimal."""
    return round(sum(i["score"] * i["weight"] for i in items) / 100, 1)


async def assess_unit(
    session: AsyncSession, *, unit_id: int, year: int, data: AssessmentIn, actor: User
) -> AssessmentPublic:
    """Score a unit's co-building work for a year, with reasons (admin of the community); a second score replaces it."""
    unit = await _unit(session, unit_id)
    community = await assigned_community(session, unit=unit, community_id=data.community_id, actor=actor)

    return await save_assessment(
        session,
        unit=unit,
        community=community,
        year=year,
        actor=actor,
        score=data.score,
        reasons=data.reasons,
        items=[],
        detail={"score": data.score},
    )


async def save_assessment(
    session: AsyncSession,
    *,
    unit: Org,
    community: Org,
    year: int,
    actor: User,
    score: int,
    reasons: str,
    items: list[dict],
    detail: dict,
) -> AssessmentPublic:
    """Write the community's score of a unit for a year: one row (made on first use, locked, so two
    admins saving at once write one after the other), refused once approved; audited, committed."""

    def find():
        return (
            select(CoBuildingAssessment)
            .where(
                CoBuildingAssessment.unit_id == unit.id,
                CoBuildingAssessment.community_id == community.id,
                CoBuildingAssessment.year == year,
            )
            .with_for_update()
        )

    row = (await session.exec(find())).first()
    if row is None:
        try:
            async with session.begin_nested():
                row = CoBuildingAssessment(
                    unit_id=cast(int, unit.id),
                    community_id=cast(int, community.id),
                    year=year,
                    score=0,
                    reasons="",
                    rater_id=actor.id,
                )
                session.add(row)
                await session.flush()
        except IntegrityError:
            row = (await session.exec(find())).one()
    if row.approved_at is not None:
        raise Conflict("考核结果已审定，不能再修改", code="assessment_approved")
    row.items, row.score, row.reasons = items, score, reasons
    row.rater_id, row.rated_at = actor.id, clock.now()
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action="cobuilding.assess",
        object_type="cobuilding_assessment",
        object_id=row.id,
        org_id=community.id,
        detail={"unit_id": unit.id, "year": year, **detail},
    )
    await session.commit()
    return assessment_public(row, _names(unit, community))


async def list_assessments(
    session: AsyncSession, *, unit_id: int, actor: User, year: int | None = None
) -> list[AssessmentPublic]:
    """A unit's scores: all for its admin, a community's own for that community's staff."""
    unit = await _unit(session, unit_id)
    stmt = select(CoBuildingAssessment).where(CoBuildingAssessment.unit_id == unit.id)
    if year is not None:
        stmt = stmt.where(CoBuildingAssessment.year == year)
    scope = await _visible(
        session, unit=unit, actor=actor, community_column=CoBuildingAssessment.community_id
    )
    if scope is not None:
        stmt = stmt.where(scope)
    rows = (
        await session.exec(stmt.order_by(col(CoBuildingAssessment.year).desc(), col(CoBuildingAssessment.id)))
    ).all()
    names = await lookups.org_names(session, [unit.id] + [r.community_id for r in rows])
    return [assessment_public(r, names) for r in rows]


# ---- what the staff console shows ----


async def community_units(session: AsyncSession, *, user: User, year: int) -> list[dict]:
    """For each community the person administers: its assigned units, their agreements and this year's score."""
    held = await orgs_with_role(
        session, user_id=cast(int, user.id), roles=ADMIN_ONLY, kinds=(OrgKind.community, OrgKind.alliance)
    )
    communities: list[Org] = []
    for org in held:
        found = (
            [org]
            if org.kind == OrgKind.community
            else await reports_service.org_choices(session, kinds=(OrgKind.community,), within=org)
        )
        communities.extend(c for c in found if c.id not in {x.id for x in communities})
    out = []
    for community in communities[:20]:
        units = (
            await session.exec(
                select(Org)
                .join(UnitCommunity, col(UnitCommunity.unit_id) == col(Org.id))
                .where(UnitCommunity.community_id == community.id)
                .order_by(col(Org.id))
            )
        ).all()
        rows = []
        for unit in units:
            agreements = (
                await session.exec(
                    select(CoBuildingAgreement)
                    .where(
                        CoBuildingAgreement.unit_id == unit.id,
                        CoBuildingAgreement.community_id == community.id,
                    )
                    .order_by(col(CoBuildingAgreement.signed_on).desc())
                )
            ).all()
            score = (
                await session.exec(
                    select(CoBuildingAssessment).where(
                        CoBuildingAssessment.unit_id == unit.id,
                        CoBuildingAssessment.community_id == community.id,
                        CoBuildingAssessment.year == year,
                    )
                )
            ).first()
            names = _names(unit, community)
            rows.append(
                {
                    "unit": unit,
                    "agreements": [agreement_public(a, names) for a in agreements],
                    "score": assessment_public(score, names) if score else None,
                }
            )
        out.append({"community": community, "units": rows})
    return out


async def unit_work(session: AsyncSession, *, unit_id: int) -> dict:
    """The unit's service resources and the projects (wishes) dispatched to it, where the wishes module keeps them."""
    resources = (
        await session.exec(
            select(UnitResource)
            .where(col(UnitResource.unit_id) == unit_id, col(UnitResource.active).is_(True))
            .order_by(col(UnitResource.id))
            .limit(50)
        )
    ).all()
    projects = (
        await session.exec(
            select(Wish).where(col(Wish.assigned_org_id) == unit_id).order_by(col(Wish.id).desc()).limit(50)
        )
    ).all()
    return {"resources": list(resources), "projects": list(projects), "project_labels": STATUS_LABELS}
