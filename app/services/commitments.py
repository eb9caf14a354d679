"""An agreement's commitments (资源、服务、项目, a target count per period) and their progress from the records."""

import calendar
from datetime import date
from typing import cast

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.errors import NotFound
from app.models.assessments import (
    AgreementCommitment,
    CommitmentCreate,
    CommitmentKind,
    CommitmentPeriod,
    CommitmentPublic,
)
from app.models.cobuilding import CoBuildingAgreement
from app.models.org import Org, OrgKind
from app.models.user import User
from app.permissions import ADMIN_ONLY, STAFF_ROLES, has_role_over, require_role_over
from app.services import audit, unit_figures
from app.services import orgs as orgs_service
from app.services.cobuilding import ends_on


async def _agreement(session: AsyncSession, *, unit_id: int, agreement_id: int) -> CoBuildingAgreement:
    agreement = await session.get(CoBuildingAgreement, agreement_id)
    if agreement is None or agreement.unit_id != unit_id:
        raise NotFound("共建协议不存在", code="agreement_not_found")
    return agreement


async def may_see_agreement(session: AsyncSession, *, agreement: CoBuildingAgreement, user: User) -> bool:
    """The unit's own people and the staff over the agreement's community."""
    return await has_role_over(
        session, user_id=cast(int, user.id), org_id=agreement.unit_id, roles=STAFF_ROLES
    ) or await has_role_over(
        session, user_id=cast(int, user.id), org_id=agreement.community_id, roles=STAFF_ROLES
    )


def period_span(period: str, *, signed_on: date, last_day: date, today: date) -> tuple[date, date]:
    """The current period of a commitment, within the agreement's term (the last one once the term is over)."""
    day = min(max(today, signed_on), last_day)
    if period == "term":
        first, last = signed_on, last_day
    elif period == "year":
        first, last = date(day.year, 1, 1), date(day.year, 12, 31)
    elif period == "quarter":
        q = (day.month - 1) // 3
        first = date(day.year, 3 * q + 1, 1)
        last = date(day.year, 3 * q + 3, calendar.monthrange(day.year, 3 * q + 3)[1])
    else:
        first = date(day.year, day.month, 1)
        last = date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
    return max(first, signed_on), min(last, last_day)


async def _public(
    session: AsyncSession, c: AgreementCommitment, agreement: CoBuildingAgreement, today: date
) -> CommitmentPublic:
    first, last = period_span(
        c.period,
        signed_on=agreement.signed_on,
        last_day=ends_on(agreement.signed_on, agreement.term_months),
        today=today,
    )
    unit = await orgs_service.get_org(session, org_id=agreement.unit_id)
    community = await session.get(Org, agreement.community_id)
    source = unit_figures.COMMITMENT_FIGURE[c.kind]
    progress = await unit_figures.figure(
        session, source, unit=unit, community=community, first=first, last=last
    )
    return CommitmentPublic(
        id=cast(int, c.id),
        agreement_id=c.agreement_id,
        kind=CommitmentKind(c.kind),
        title=c.title,
        target=c.target,
        period=CommitmentPeriod(c.period),
        period_start=first,
        period_end=last,
        progress=progress,
        percent=min(100, progress * 100 // c.target),
        source=cast(str, unit_figures.label(source)),  # every commitment figure has a label
    )


async def add_commitment(
    session: AsyncSession, *, unit_id: int, agreement_id: int, data: CommitmentCreate, actor: User
) -> CommitmentPublic:
    """Add a commitment to an agreement (admin of the agreement's community)."""
    agreement = await _agreement(session, unit_id=unit_id, agreement_id=agreement_id)
    if not await may_see_agreement(session, agreement=agreement, user=actor):
        raise NotFound("共建协议不存在", code="agreement_not_found")
    await require_role_over(
        session, user_id=cast(int, actor.id), org_id=agreement.community_id, roles=ADMIN_ONLY
    )
    row = AgreementCommitment(
        agreement_id=cast(int, agreement.id),
        kind=data.kind,
        title=data.title,
        target=data.target,
        period=data.period,
        created_by_id=actor.id,
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action="cobuilding.commitment",
        object_type="agreement_commitment",
        object_id=row.id,
        org_id=agreement.community_id,
        detail={"agreement_id": agreement.id, "kind": data.kind, "target": data.target},
    )
    await session.commit()
    return await _public(session, row, agreement, clock.today())


async def list_commitments(
    session: AsyncSession, *, unit_id: int, agreement_id: int, actor: User
) -> list[CommitmentPublic]:
    """An agreement's commitments with their progress this period (the unit's people, the community's staff)."""
    agreement = await _agreement(session, unit_id=unit_id, agreement_id=agreement_id)
    if not await may_see_agreement(session, agreement=agreement, user=actor):
        raise NotFound("共建协议不存在", code="agreement_not_found")
    return await commitments_of(session, agreement=agreement)


async def commitments_of(session: AsyncSession, *, agreement: CoBuildingAgreement) -> list[CommitmentPublic]:
    """An agreement's commitments with progress (no access check: callers have done it)."""
    rows = (
        await session.exec(
            select(AgreementCommitment)
            .where(AgreementCommitment.agreement_id == agreement.id)
            .order_by(col(AgreementCommitment.id))
        )
    ).all()
    today = clock.today()
    return [await _public(session, c, agreement, today) for c in rows]


async def unit_of(session: AsyncSession, unit_id: int) -> Org:
    unit = await session.get(Org, unit_id)
    if unit is None or unit.kind != OrgKind.unit:
        raise NotFound("共建单位不存在", code="unit_not_found")
    return unit
