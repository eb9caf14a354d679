"""What the meeting and co-building assessment pages show, gathered from their services."""

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Forbidden
from app.models.activities import Activity, Attendance
from app.models.assessments import COMMITMENT_KIND_LABELS, PERIOD_LABELS
from app.models.cobuilding import CoBuildingAgreement
from app.models.meetings import (
    ACTION_ITEM_LABELS,
    MEETING_KINDS,
    ActionItem,
    ActionItemStatus,
    MeetingMinutes,
)
from app.models.org import Org, OrgKind
from app.models.user import User
from app.pagination import PageParams
from app.permissions import (
    ADMIN_ONLY,
    STAFF_ROLES,
    alliance_id,
    covered_by_role,
    in_subtree,
    orgs_with_role,
)
from app.services import action_items as items_service
from app.services import activities as activities_service
from app.services import assessments as assessments_service
from app.services import cobuilding as cobuilding_service
from app.services import commitments as commitments_service
from app.services import meetings as meetings_service
from app.services import member_reports as reports_service
from app.services.meetings import Access


async def _alliance_units(session: AsyncSession, org: Org) -> list[Org]:
    alliance = await session.get(Org, alliance_id(org))
    stmt = select(Org).where(Org.kind == OrgKind.unit, in_subtree(Org.id, alliance.path)).order_by(Org.id)
    return list((await session.exec(stmt.limit(200))).all())


async def meeting(session: AsyncSession, *, activity_id: int, user: User) -> dict:
    """A meeting's page: minutes and resolutions as the viewer may read them, action items, the chair."""
    detail = await activities_service.activity_detail(session, activity_id=activity_id, viewer=user)
    activity = await activities_service.get_activity(session, activity_id=activity_id)
    minutes = await meetings_service.minutes_or_none(session, activity=activity, viewer=user)
    row = (
        await session.exec(select(MeetingMinutes).where(MeetingMinutes.activity_id == activity.id))
    ).first()
    access = await meetings_service.minutes_access(session, activity=activity, minutes=row, viewer=user)
    context = {
        "activity": detail,
        "is_meeting": activity.kind in MEETING_KINDS,
        "minutes": minutes,
        "full": access == Access.full,
        "items": [],
        "labels": ACTION_ITEM_LABELS,
        "chair": None,
        "units": [],
        "attendees": [],
    }
    if access == Access.full:
        context["items"] = await items_service.items_of_meeting(session, activity_id=activity.id, viewer=user)
    if detail.is_organiser:
        org = await session.get(Org, activity.org_id)
        context["chair"] = await meetings_service.proposed_chair(session, activity=activity)
        context["units"] = await _alliance_units(session, org)
        people = (
            await session.exec(
                select(User)
                .join(Attendance, Attendance.user_id == User.id)
                .where(Attendance.activity_id == activity.id)
                .order_by(User.id)
                .limit(300)
            )
        ).all()
        context["attendees"] = list(people)
    return context


async def my_items(session: AsyncSession, *, user: User, org_id: int | None, status: str | None) -> dict:
    """The action items the person (or their units) owns; with org_id, those of a subtree they are staff over."""
    wanted = ActionItemStatus(status) if status in ActionItemStatus.__members__ else None
    items, _ = await items_service.list_items(
        session, org_id=org_id, status=wanted, params=PageParams(limit=100), viewer=user
    )
    staff_orgs = await orgs_with_role(session, user_id=user.id, roles=STAFF_ROLES)
    return {
        "items": items,
        "labels": ACTION_ITEM_LABELS,
        "org_id": org_id,
        "status": wanted,
        "staff_orgs": [o for o in staff_orgs if o.kind != OrgKind.unit],
    }


async def resolutions(session: AsyncSession, *, user: User, org_id: int | None) -> dict:
    """公示: the public resolutions of the person's community (or of org_id's)."""
    place = org_id or user.home_org_id
    home = await session.get(Org, place) if place else None
    meetings = await meetings_service.public_resolutions(session, viewer=user, org_id=org_id)
    return {"meetings": meetings, "home": home}


async def meetings_admin(session: AsyncSession, *, user: User) -> dict:
    """Meetings the person organises (with minutes and open items), and the chair rotations they may set."""
    meetings = (
        await session.exec(
            select(Activity)
            .where(Activity.kind.in_(MEETING_KINDS), covered_by_role(user.id, Activity.org_id))
            .order_by(Activity.starts_at.desc())
            .limit(50)
        )
    ).all()
    ids = [m.id for m in meetings] or [0]
    with_minutes = set(
        (
            await session.exec(select(MeetingMinutes.activity_id).where(MeetingMinutes.activity_id.in_(ids)))
        ).all()
    )
    open_items = dict(
        (
            await session.exec(
                select(ActionItem.activity_id, func.count())
                .where(ActionItem.activity_id.in_(ids), ActionItem.status != ActionItemStatus.done)
                .group_by(ActionItem.activity_id)
            )
        ).all()
    )
    rotations = []
    for alliance in await orgs_with_role(
        session, user_id=user.id, roles=ADMIN_ONLY, kinds=(OrgKind.alliance,)
    ):
        nodes = [alliance] + list(
            (
                await session.exec(
                    select(Org)
                    .where(Org.kind == OrgKind.community, in_subtree(Org.id, alliance.path))
                    .order_by(Org.id)
                    .limit(50)
                )
            ).all()
        )
        units = await _alliance_units(session, alliance)
        for node in nodes:
            rotations.append(
                {
                    "org": node,
                    "rotation": await meetings_service.get_rotation(session, org_id=node.id, actor=user),
                    "units": units,
                }
            )
    staff_orgs = await orgs_with_role(session, user_id=user.id, roles=STAFF_ROLES)
    return {
        "staff_orgs": [o for o in staff_orgs if o.kind != OrgKind.unit],
        "meetings": meetings,
        "with_minutes": with_minutes,
        "open_items": open_items,
        "rotations": rotations,
    }


# ---- the co-building assessment ----


async def assessments_admin(session: AsyncSession, *, user: User, year: int | None) -> dict:
    """The alliance admin's items, ranking and approvals; a community admin's units to score."""
    year = year or reports_service.this_year()
    alliances = await orgs_with_role(session, user_id=user.id, roles=ADMIN_ONLY, kinds=(OrgKind.alliance,))
    alliance_views = []
    for alliance in alliances:
        alliance_views.append(
            {
                "org": alliance,
                "items": await assessments_service.get_items(session, org_id=alliance.id, actor=user),
                "ranking": await assessments_service.ranking(
                    session, org_id=alliance.id, year=year, actor=user
                ),
                "sources": assessments_service.sources(),
            }
        )
    to_score = []
    for block in await cobuilding_service.community_units(session, user=user, year=year):
        to_score.append({"community": block["community"], "units": [r["unit"] for r in block["units"]]})
    if not alliance_views and not to_score:
        raise Forbidden("共驻共建考核仅对联盟总站和社区管理员开放")
    return {"year": year, "alliances": alliance_views, "to_score": to_score}


async def scoring(
    session: AsyncSession, *, unit_id: int, year: int, community_id: int | None, user: User
) -> dict:
    """A community admin's scoring form for one unit, with the agreements and their commitments."""
    form = await assessments_service.scoring_form(
        session, unit_id=unit_id, year=year, community_id=community_id, actor=user
    )
    agreements = (
        await session.exec(
            select(CoBuildingAgreement)
            .where(
                CoBuildingAgreement.unit_id == form.unit_id,
                CoBuildingAgreement.community_id == form.community_id,
            )
            .order_by(CoBuildingAgreement.signed_on.desc())
        )
    ).all()
    names = {form.unit_id: form.unit_name, form.community_id: form.community_name}
    return {
        "form": form,
        "agreements": [
            {
                "agreement": cobuilding_service.agreement_public(a, names),
                "commitments": await commitments_service.commitments_of(session, agreement=a),
            }
            for a in agreements
        ],
        "kind_labels": COMMITMENT_KIND_LABELS,
        "period_labels": PERIOD_LABELS,
    }


async def unit_progress(session: AsyncSession, *, unit_id: int | None, year: int | None, user: User) -> dict:
    """A unit's own progress page (the first unit the person works for unless one is named)."""
    if unit_id is None:
        mine = await assessments_service.units_i_admin(session, user=user)
        if not mine:
            raise Forbidden("仅共建单位的管理员或工作人员可以查看本单位进度")
        unit_id = mine[0].id
    year = year or reports_service.this_year()
    progress = await assessments_service.unit_progress(session, unit_id=unit_id, year=year, actor=user)
    items, _ = await items_service.list_items(
        session, org_id=None, status=None, params=PageParams(limit=50), viewer=user
    )
    return {
        "p": progress,
        "items": [i for i in items if i.owner_org_id == unit_id],
        "labels": ACTION_ITEM_LABELS,
        "kind_labels": COMMITMENT_KIND_LABELS,
        "period_labels": PERIOD_LABELS,
    }
