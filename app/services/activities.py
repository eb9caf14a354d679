"""Activities: publishing, listing and the detail a viewer sees.

Sign-ups and the waiting list are `activity_signups`; sign-in three ways, sign-out, closing and the
attendance figures are `activity_attendance`.
"""

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.hours import hours_text
from app.models.activities import (
    ACTIVITY_KINDS,
    Activity,
    ActivityCreate,
    ActivityPublic,
    ActivitySignup,
    Attendance,
    SignupStatus,
)
from app.models.org import Org, OrgKind, UnitCommunity
from app.models.user import User
from app.pagination import PageParams, paginate
from app.permissions import (
    ADMIN_ONLY,
    STAFF_ROLES,
    alliance_id,
    alliance_path_of,
    ancestor_ids,
    covered_by_role,
    has_role_over,
    in_subtree,
    may_see_published,
    published_to,
    require_role_over,
)
from app.services import audit, figures
from app.services import credit as credit_rule
from app.services import orgs as orgs_service
from app.services import teams as teams_service

# How long after closing an activity its organiser may undo the close (a mistaken or early close).
CLOSE_UNDO_WINDOW = timedelta(minutes=10)


async def get_activity(session: AsyncSession, *, activity_id: int, viewer: User | None = None) -> Activity:
    """The activity, or 404; with `viewer`, 404 too unless it is theirs to see (`may_see_published`)."""
    activity = await session.get(Activity, activity_id)
    if activity is None or (
        viewer is not None and not await may_see_published(session, person=viewer, org_id=activity.org_id)
    ):
        raise NotFound("活动不存在", code="activity_not_found")
    return activity


async def is_organiser(session: AsyncSession, *, activity: Activity, user: User) -> bool:
    """Staff/admin over the activity's org, or of the unit hosting it (while they hold such a role)."""
    if await has_role_over(session, user_id=user.id, org_id=activity.org_id, roles=STAFF_ROLES):
        return True
    return activity.host_org_id is not None and await has_role_over(
        session, user_id=user.id, org_id=activity.host_org_id, roles=STAFF_ROLES
    )


async def require_organiser(session: AsyncSession, *, activity: Activity, user: User) -> None:
    if not await is_organiser(session, activity=activity, user=user):
        raise Forbidden("只有活动组织者可以操作")


async def create_activity(session: AsyncSession, *, data: ActivityCreate, actor: User) -> ActivityPublic:
    """Publish an activity under an org node the actor is staff or admin over."""
    place = await orgs_service.get_org(session, org_id=data.org_id)
    if data.host_org_id is None:
        await require_role_over(session, user_id=actor.id, org_id=data.org_id, roles=STAFF_ROLES)
    else:
        await _check_host(session, place=place, host_org_id=data.host_org_id, actor=actor)
    if data.kind not in ACTIVITY_KINDS:
        raise ValidationFailed(f"活动类型应为：{'、'.join(ACTIVITY_KINDS)}", code="invalid_activity_kind")
    if data.team_id is not None:
        await teams_service.organiser(session, team_id=data.team_id, place=place)
    await _check_ceiling(session, data=data, actor=actor)
    activity = Activity(**data.model_dump(), created_by_id=actor.id)
    session.add(activity)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action="activity.create",
        object_type="activity",
        object_id=activity.id,
        org_id=activity.org_id,
        detail={"title": activity.title},
    )
    await session.commit()
    return _public(activity, is_organiser=True)


async def _check_host(session: AsyncSession, *, place: Org, host_org_id: int, actor: User) -> None:
    """A unit hosts an activity only in (a node of) a community it is assigned to, by its own staff."""
    host = await session.get(Org, host_org_id)
    if host is None or host.kind != OrgKind.unit:
        raise ValidationFailed("主办单位应为共建单位", code="invalid_host")
    await require_role_over(session, user_id=actor.id, org_id=host.id, roles=STAFF_ROLES)
    assigned = (
        await session.exec(
            select(UnitCommunity.id).where(
                UnitCommunity.unit_id == host.id, UnitCommunity.community_id.in_(ancestor_ids(place))
            )
        )
    ).first()
    if assigned is None:
        raise Conflict("该单位尚未分配到这个社区，不能在此举办活动", code="unit_not_assigned")


async def _check_ceiling(session: AsyncSession, *, data: ActivityCreate, actor: User) -> None:
    """More credit per attendee than the alliance's ceiling needs its admin (the crediting rule's knob)."""
    policy = await credit_rule.policy_for(session, org_id=data.org_id)
    if data.credit_minutes <= policy.activity_ceiling:
        return
    org = await session.get(Org, data.org_id)
    if not await has_role_over(session, user_id=actor.id, org_id=alliance_id(org), roles=ADMIN_ONLY):
        raise Forbidden(
            f"每人记入时长超过联盟上限（{hours_text(policy.activity_ceiling)}），须由联盟管理员发布",
            code="credit_above_ceiling",
        )


def undo_close_until(activity: Activity) -> datetime | None:
    """Until when the organiser may still undo the close (None: not closed, or the window passed)."""
    if activity.closed_at is None:
        return None
    until = activity.closed_at + CLOSE_UNDO_WINDOW
    return until if clock.now() < until else None


def _public(activity: Activity, **extra) -> ActivityPublic:
    return ActivityPublic(
        id=activity.id,
        org_id=activity.org_id,
        title=activity.title,
        kind=activity.kind,
        description=activity.description,
        starts_at=activity.starts_at,
        ends_at=activity.ends_at,
        location=activity.location,
        capacity=activity.capacity,
        signed_up=activity.signed_up,
        credit_minutes=activity.credit_minutes,
        host_org_id=activity.host_org_id,
        service=credit_rule.is_service_kind(activity.kind),
        signup_required=activity.signup_required,
        closed=activity.closed_at is not None,
        closed_at=activity.closed_at,
        undo_close_until=undo_close_until(activity),
        team_id=activity.team_id,
        **extra,
    )


async def list_activities(
    session: AsyncSession, *, org_id: int | None, upcoming: bool, params: PageParams, viewer: User
) -> tuple[list[ActivityPublic], str | None]:
    """Activities (in org_id's subtree if given; `upcoming` = not yet ended), with the viewer's sign-up."""
    stmt = select(Activity)
    if org_id is not None:
        org = await orgs_service.get_org(session, org_id=org_id)
        stmt = stmt.where(in_subtree(Activity.org_id, org.path))
    if upcoming:
        stmt = stmt.where(Activity.ends_at >= clock.now(), Activity.closed_at.is_(None))
    seen = published_to(viewer, await alliance_path_of(session, viewer), Activity.org_id)
    if seen is not None:
        stmt = stmt.where(seen)
    # Upcoming: soonest first (tomorrow before next week); past: the latest first.
    rows, cursor = await paginate(
        session, stmt, Activity.id, params, newest_first=not upcoming, sort_column=Activity.starts_at
    )
    return await _with_mine(session, rows, viewer=viewer), cursor


async def _with_mine(session: AsyncSession, rows: list[Activity], *, viewer: User) -> list[ActivityPublic]:
    mine = {}
    if rows:
        mine = dict(
            (
                await session.exec(
                    select(ActivitySignup.activity_id, ActivitySignup.status).where(
                        ActivitySignup.user_id == viewer.id,
                        ActivitySignup.activity_id.in_([a.id for a in rows]),
                    )
                )
            ).all()
        )
    return [_public(a, my_status=mine.get(a.id)) for a in rows]


async def upcoming_for_user(session: AsyncSession, *, user: User, limit: int = 3) -> list[ActivityPublic]:
    """For the home page: activities not yet ended, of the user's home node, its ancestors and its subtree."""
    stmt = select(Activity).where(Activity.ends_at >= clock.now(), Activity.closed_at.is_(None))
    home = await session.get(Org, user.home_org_id) if user.home_org_id else None
    if home is not None:
        stmt = stmt.where(Activity.org_id.in_(ancestor_ids(home)) | in_subtree(Activity.org_id, home.path))
    else:  # staff and people registered somewhere: their alliance's only (`may_see_published`)
        seen = published_to(user, await alliance_path_of(session, user), Activity.org_id)
        if seen is not None:
            stmt = stmt.where(seen)
    rows = list((await session.exec(stmt.order_by(Activity.starts_at, Activity.id).limit(limit))).all())
    return await _with_mine(session, rows, viewer=user)


async def activity_detail(session: AsyncSession, *, activity_id: int, viewer: User) -> ActivityPublic:
    """One activity with the viewer's sign-up, attendance and the waiting-list length."""
    activity = await get_activity(session, activity_id=activity_id, viewer=viewer)
    status = (
        await session.exec(
            select(ActivitySignup.status).where(
                ActivitySignup.activity_id == activity.id, ActivitySignup.user_id == viewer.id
            )
        )
    ).first()
    attended = (
        await session.exec(
            select(Attendance.id).where(
                Attendance.activity_id == activity.id, Attendance.user_id == viewer.id
            )
        )
    ).first() is not None
    waiting = (
        await session.exec(
            select(func.count())
            .select_from(ActivitySignup)
            .where(ActivitySignup.activity_id == activity.id, ActivitySignup.status == SignupStatus.waiting)
        )
    ).one()
    return _public(
        activity,
        my_status=status,
        attended=attended,
        waiting=waiting,
        is_organiser=await is_organiser(session, activity=activity, user=viewer),
    )


async def summary(session: AsyncSession, *, org_id: int, start: datetime, end: datetime) -> dict[str, int]:
    """Activities starting in [start, end) in org_id's subtree and their attendances — for the stats endpoint
    (each counted by its one definition, figures.rows)."""
    org = await session.get(Org, org_id)
    if org is None:
        return {"activities": 0, "attendances": 0, "no_shows": 0}
    keys = ("activities", "attendances", "no_shows")
    now = clock.now()
    row = (
        await session.exec(
            select(*(figures.count(k, path=org.path, lo=start, hi=end, now=now) for k in keys))
        )
    ).one()
    return dict(zip(keys, (int(v) for v in row), strict=True))


async def admin_list(session: AsyncSession, *, actor: User, limit: int = 100) -> list[ActivityPublic]:
    """Activities the actor organises (staff over their org), newest first."""
    rows = list(
        (
            await session.exec(
                select(Activity)
                .where(
                    covered_by_role(actor.id, Activity.org_id)
                    | (Activity.host_org_id.is_not(None) & covered_by_role(actor.id, Activity.host_org_id))
                )
                .order_by(Activity.id.desc())
                .limit(limit)
            )
        ).all()
    )
    return [_public(a, is_organiser=True) for a in rows]


async def staff_orgs(session: AsyncSession, *, actor: User) -> list[Org]:
    """The org nodes the actor may publish activities under."""
    return list(
        (
            await session.exec(
                select(Org).where(covered_by_role(actor.id, Org.id)).order_by(Org.path).limit(300)
            )
        ).all()
    )


async def host_places(session: AsyncSession, *, actor: User) -> list[dict]:
    """Where the actor's units may host an activity: the communities each unit is assigned to."""
    units = [o for o in await staff_orgs(session, actor=actor) if o.kind == OrgKind.unit]
    if not units:
        return []
    rows = (
        await session.exec(
            select(UnitCommunity.unit_id, Org)
            .join(Org, Org.id == UnitCommunity.community_id)
            .where(UnitCommunity.unit_id.in_([u.id for u in units]))
            .order_by(UnitCommunity.unit_id, Org.path)
        )
    ).all()
    names = {u.id: u.name for u in units}
    return [
        {"org_id": org.id, "host_org_id": unit_id, "label": f"{org.name}（{names[unit_id]}主办）"}
        for unit_id, org in rows
    ]
