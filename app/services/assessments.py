"""The itemised co-building assessment (共驻共建考核): the alliance sets items and weights, each community
scores the units assigned to it item by item with reasons (beside the automatic figure where one exists),
the alliance admin approves (审定) and nothing changes after; a yearly ranking and a unit's own progress.
"""

from typing import cast

from sqlalchemy import update
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock, xlsx
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.models.assessments import (
    AssessmentItem,
    AssessmentItemPublic,
    AssessmentItemsIn,
    FigureValue,
    ItemisedAssessmentIn,
    RankingRow,
    ScoringForm,
    ScoringItem,
    UnitProgress,
)
from app.models.cobuilding import AssessmentIn, AssessmentPublic, CoBuildingAgreement, CoBuildingAssessment
from app.models.org import Org, OrgKind, Role, UnitCommunity
from app.models.user import User
from app.permissions import (
    ADMIN_ONLY,
    STAFF_ROLES,
    alliance_id,
    has_role_over,
    in_subtree,
    orgs_with_role,
    require_role_over,
)
from app.services import audit, lookups, unit_figures
from app.services import cobuilding as cobuilding_service
from app.services import commitments as commitments_service
from app.services import member_reports as reports_service
from app.services import orgs as orgs_service
from app.services.resources import units_serving_stmt


async def _alliance(session: AsyncSession, org_id: int) -> Org:
    org = await orgs_service.get_org(session, org_id=org_id)
    if org.kind != OrgKind.alliance:
        raise ValidationFailed("考核项目由联盟总站设置", code="invalid_org_kind")
    return org


def sources() -> list[FigureValue]:
    """The automatic figures an item may name as its source (value 0: names only)."""
    return [
        FigureValue(source=name, label=label, value=0) for name, (label, _) in unit_figures.FIGURES.items()
    ]


async def _items(session: AsyncSession, alliance_id_: int) -> list[AssessmentItem]:
    stmt = (
        select(AssessmentItem)
        .where(col(AssessmentItem.org_id) == alliance_id_)
        .order_by(col(AssessmentItem.position))
    )
    return list((await session.exec(stmt)).all())


def _item_public(i: AssessmentItem) -> AssessmentItemPublic:
    return AssessmentItemPublic(
        name=i.name, weight=i.weight, source=i.source, source_label=unit_figures.label(i.source)
    )


async def get_items(session: AsyncSession, *, org_id: int, actor: User) -> list[AssessmentItemPublic]:
    """The alliance's assessment items (anyone holding a role in the alliance may read them)."""
    alliance = await _alliance(session, org_id)
    holds = (
        await session.exec(
            select(Role.id).where(Role.user_id == actor.id, in_subtree(Role.org_id, alliance.path)).limit(1)
        )
    ).first()
    if holds is None:
        raise Forbidden("您在该联盟没有相应的权限")
    return [_item_public(i) for i in await _items(session, cast(int, alliance.id))]


async def set_items(
    session: AsyncSession, *, org_id: int, data: AssessmentItemsIn, actor: User
) -> list[AssessmentItemPublic]:
    """Replace the alliance's assessment items and weights (alliance admin); approved scores keep their own copy."""
    alliance = await _alliance(session, org_id)
    await require_role_over(
        session, user_id=cast(int, actor.id), org_id=cast(int, alliance.id), roles=ADMIN_ONLY
    )
    for item in data.items:
        if item.source is not None and item.source not in unit_figures.FIGURES:
            raise ValidationFailed(f"自动指标应为：{'、'.join(unit_figures.FIGURES)}", code="unknown_source")
    # Two admins saving at once replace the list one after the other, never interleaved.
    await session.exec(select(Org.id).where(Org.id == alliance.id).with_for_update())
    await session.exec(delete(AssessmentItem).where(col(AssessmentItem.org_id) == alliance.id))
    rows = [
        AssessmentItem(
            org_id=cast(int, alliance.id), position=n, name=i.name, weight=i.weight, source=i.source
        )
        for n, i in enumerate(data.items, start=1)
    ]
    session.add_all(rows)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action="assessment.items",
        object_type="org",
        object_id=alliance.id,
        org_id=alliance.id,
        detail={"items": [[i.name, i.weight, i.source] for i in data.items]},
    )
    await session.commit()
    return [_item_public(i) for i in rows]


async def _scoring_community(
    session: AsyncSession, *, unit: Org, community_id: int | None, actor: User
) -> Org:
    """The community scoring (the one named, or the only one the actor administers the unit is assigned to),
    checked as for a single score: the actor administers it and the unit is assigned to it."""
    if community_id is None:
        assigned = (
            await session.exec(
                select(UnitCommunity.community_id)
                .where(UnitCommunity.unit_id == unit.id)
                .order_by(col(UnitCommunity.id))
            )
        ).all()
        mine = [
            c
            for c in assigned
            if await has_role_over(session, user_id=cast(int, actor.id), org_id=c, roles=ADMIN_ONLY)
        ]
        if not mine:
            raise Forbidden("只有该单位所在社区的管理员可以评分")
        if len(mine) > 1:
            raise ValidationFailed("您管理多个社区，请指定 community_id", code="community_required")
        community_id = mine[0]
    return await cobuilding_service.assigned_community(
        session, unit=unit, community_id=community_id, actor=actor
    )


async def auto_figures(
    session: AsyncSession, *, unit: Org, community: Org | None, year: int
) -> dict[str, int]:
    """Every automatic figure of the unit for the year (within the community if given)."""
    first, last = reports_service.year_dates(year)
    return {
        name: await unit_figures.figure(session, name, unit=unit, community=community, first=first, last=last)
        for name in unit_figures.FIGURES
    }


async def assess(
    session: AsyncSession, *, unit_id: int, year: int, data: ItemisedAssessmentIn, actor: User
) -> AssessmentPublic:
    """Score a unit item by item with reasons (admin of its community); refused once approved."""
    unit = await commitments_service.unit_of(session, unit_id)
    if data.scores is None:  # the single score of before the items
        # the legacy form's fields are required by its own validator when scores are absent
        legacy = AssessmentIn(
            community_id=cast(int, data.community_id),
            score=cast(int, data.score),
            reasons=cast(str, data.reasons),
        )
        return await cobuilding_service.assess_unit(
            session, unit_id=cast(int, unit.id), year=year, data=legacy, actor=actor
        )
    community = await _scoring_community(session, unit=unit, community_id=data.community_id, actor=actor)
    items = await _items(session, alliance_id(unit))
    if not items:
        raise Conflict("联盟总站尚未设置考核项目", code="no_assessment_items")
    by_name = {s.item: s for s in data.scores}
    unknown = set(by_name) - {i.name for i in items}
    if unknown:
        raise ValidationFailed(f"没有这个考核项目：{'、'.join(sorted(unknown))}", code="unknown_item")
    missing = [i.name for i in items if i.name not in by_name]
    if missing:
        raise ValidationFailed(f"还有项目未打分：{'、'.join(missing)}", code="scores_incomplete")
    figures = await auto_figures(session, unit=unit, community=community, year=year)
    scored = [
        {
            "item": i.name,
            "weight": i.weight,
            "source": i.source,
            "auto": figures.get(i.source) if i.source else None,
            "score": by_name[i.name].score,
            "reason": by_name[i.name].reason,
        }
        for i in items
    ]
    total = cobuilding_service.weighted_total(scored)
    reasons = "；".join(f"{s['item']}：{s['reason']}" for s in scored)[:1000]

    return await cobuilding_service.save_assessment(
        session,
        unit=unit,
        community=community,
        year=year,
        actor=actor,
        score=round(total),
        reasons=reasons,
        items=scored,
        detail={"total": total},
    )


async def approve(
    session: AsyncSession, *, unit_id: int, year: int, community_id: int | None, actor: User
) -> list[AssessmentPublic]:
    """Approve (审定) the unit's scores for the year (alliance admin); after this they cannot change."""
    unit = await commitments_service.unit_of(session, unit_id)
    if not await has_role_over(
        session, user_id=cast(int, actor.id), org_id=alliance_id(unit), roles=ADMIN_ONLY
    ):
        raise Forbidden("仅联盟总站管理员可以审定")
    scope = [col(CoBuildingAssessment.unit_id) == unit.id, col(CoBuildingAssessment.year) == year]
    if community_id is not None:
        scope.append(col(CoBuildingAssessment.community_id) == community_id)
    rows = list((await session.exec(select(CoBuildingAssessment).where(*scope))).all())
    if not rows:
        raise Conflict("该单位本年度尚无社区评分", code="nothing_to_approve")
    now = clock.now()
    await session.exec(
        update(CoBuildingAssessment)
        .where(*scope, col(CoBuildingAssessment.approved_at).is_(None))
        .values(approved_at=now, approved_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    await audit.record(
        session,
        actor_id=actor.id,
        action="cobuilding.approve",
        object_type="org",
        object_id=unit.id,
        org_id=alliance_id(unit),
        detail={"year": year, "community_id": community_id},
    )
    await session.commit()
    rows = list(
        (
            await session.exec(
                select(CoBuildingAssessment).where(*scope).order_by(col(CoBuildingAssessment.id))
            )
        ).all()
    )
    for row in rows:
        await session.refresh(row)
    names = await lookups.org_names(session, [unit.id] + [r.community_id for r in rows])
    return [cobuilding_service.assessment_public(r, names) for r in rows]


async def scoring_form(
    session: AsyncSession, *, unit_id: int, year: int, community_id: int | None, actor: User
) -> ScoringForm:
    """The scoring form: the alliance's items with the unit's automatic figures and the scores given so far
    (admin of the scoring community)."""
    unit = await commitments_service.unit_of(session, unit_id)
    community = await _scoring_community(session, unit=unit, community_id=community_id, actor=actor)
    figures = await auto_figures(session, unit=unit, community=community, year=year)
    existing = (
        await session.exec(
            select(CoBuildingAssessment).where(
                CoBuildingAssessment.unit_id == unit.id,
                CoBuildingAssessment.community_id == community.id,
                CoBuildingAssessment.year == year,
            )
        )
    ).first()
    given = {i["item"]: i for i in (existing.items if existing else [])}
    items = [
        ScoringItem(
            name=i.name,
            weight=i.weight,
            source=i.source,
            source_label=unit_figures.label(i.source),
            auto=figures.get(i.source) if i.source else None,
            score=given.get(i.name, {}).get("score"),
            reason=given.get(i.name, {}).get("reason", ""),
        )
        for i in await _items(session, alliance_id(unit))
    ]
    return ScoringForm(
        unit_id=cast(int, unit.id),
        unit_name=unit.name,
        community_id=cast(int, community.id),
        community_name=community.name,
        year=year,
        approved=bool(existing and existing.approved_at),
        items=items,
    )


# ---- the yearly ranking ----


async def ranking(session: AsyncSession, *, org_id: int, year: int, actor: User) -> list[RankingRow]:
    """The units serving an org ranked by their year's score (the mean of their communities' totals); staff over it."""
    org = await orgs_service.get_org(session, org_id=org_id)
    await require_role_over(session, user_id=cast(int, actor.id), org_id=cast(int, org.id), roles=STAFF_ROLES)
    stmt = select(CoBuildingAssessment).where(
        col(CoBuildingAssessment.year) == year, col(CoBuildingAssessment.unit_id).in_(units_serving_stmt(org))
    )
    if org.kind != OrgKind.alliance:
        stmt = stmt.where(in_subtree(CoBuildingAssessment.community_id, org.path))
    by_unit: dict[int, list[CoBuildingAssessment]] = {}
    for row in (await session.exec(stmt)).all():
        by_unit.setdefault(row.unit_id, []).append(row)
    names = await lookups.org_names(session, by_unit)
    scored = []
    for unit_id, rows in by_unit.items():
        totals = [cobuilding_service.weighted_total(r.items) if r.items else float(r.score) for r in rows]
        scored.append(
            (
                round(sum(totals) / len(totals), 1),
                unit_id,
                len(rows),
                all(r.approved_at is not None for r in rows),
            )
        )
    scored.sort(key=lambda s: (-s[0], s[1]))
    out: list[RankingRow] = []
    rank = 0
    for n, (score, unit_id, count, approved) in enumerate(scored, start=1):
        if n == 1 or score != out[-1].score:
            rank = n
        out.append(
            RankingRow(
                rank=rank,
                unit_id=unit_id,
                unit_name=names.get(unit_id, ""),
                score=score,
                communities=count,
                approved=approved,
            )
        )
    return out


async def ranking_xlsx(session: AsyncSession, *, org_id: int, year: int, actor: User) -> bytes:
    """The yearly ranking as a workbook."""
    rows = await ranking(session, org_id=org_id, year=year, actor=actor)
    return await xlsx.workbook(
        f"{year}年共驻共建考核",
        ["名次", "共建单位", "得分", "评分社区数", "审定"],
        ([r.rank, r.unit_name, r.score, r.communities, "已审定" if r.approved else "待审定"] for r in rows),
        widths=[8, 30, 10, 12, 10],
        bold_header=True,
        freeze_header=True,
    )


# ---- a unit's own progress ----


async def unit_progress(session: AsyncSession, *, unit_id: int, year: int, actor: User) -> UnitProgress:
    """A unit's figures for the year, its agreements with commitments and progress, and its scores
    (the unit's own people and the alliance's staff)."""
    unit = await commitments_service.unit_of(session, unit_id)
    if not await has_role_over(
        session, user_id=cast(int, actor.id), org_id=cast(int, unit.id), roles=STAFF_ROLES
    ):
        raise NotFound("共建单位不存在", code="unit_not_found")
    figures = await auto_figures(session, unit=unit, community=None, year=year)
    agreements = (
        await session.exec(
            select(CoBuildingAgreement)
            .where(CoBuildingAgreement.unit_id == unit.id)
            .order_by(col(CoBuildingAgreement.signed_on).desc())
        )
    ).all()
    names = await lookups.org_names(session, [unit.id] + [a.community_id for a in agreements])
    agreement_rows = [
        {
            "agreement": cobuilding_service.agreement_public(a, names).model_dump(mode="json"),
            "commitments": [
                c.model_dump(mode="json")
                for c in await commitments_service.commitments_of(session, agreement=a)
            ],
        }
        for a in agreements
    ]
    scores = await cobuilding_service.list_assessments(
        session, unit_id=cast(int, unit.id), actor=actor, year=year
    )
    return UnitProgress(
        unit_id=cast(int, unit.id),
        unit_name=unit.name,
        year=year,
        figures=[
            FigureValue(source=name, label=cast(str, unit_figures.label(name)), value=value)
            for name, value in figures.items()
        ],
        agreements=agreement_rows,
        assessments=[s.model_dump(mode="json") for s in scores],
    )


async def units_i_admin(session: AsyncSession, *, user: User) -> list[Org]:
    """The member units the person is admin or staff of (for the progress page's picker)."""
    return await orgs_with_role(session, user_id=cast(int, user.id), roles=STAFF_ROLES, kinds=(OrgKind.unit,))
