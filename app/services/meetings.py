"""Meetings: minutes and resolutions (公示 to the community when public), and the joint meeting's rotating chair.

A meeting is an activity of one of MEETING_KINDS. Who reads its minutes is decided here, once
(`minutes_access`): the organiser, attendees and staff over it read everything; when the minutes are
public, anyone living in the meeting's community reads the resolutions.
"""

from enum import Enum
from typing import cast

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.models.activities import Activity, Attendance
from app.models.meetings import (
    JOINT_MEETING,
    MAX_MINUTES_PHOTOS,
    MEETING_KINDS,
    ChairRotation,
    ChairRotationIn,
    ChairRotationPublic,
    ChairUnit,
    MeetingMinutes,
    MeetingResolution,
    MinutesIn,
    MinutesPublic,
    ResolutionPublic,
)
from app.models.org import Org, OrgKind, UnitCommunity
from app.models.user import User
from app.permissions import (
    ADMIN_ONLY,
    alliance_id,
    ancestor_path,
    has_role_over,
    in_subtree,
    is_within,
    require_role_over,
)
from app.services import audit, lookups
from app.services import orgs as orgs_service
from app.services.activities import get_activity, is_organiser, require_organiser
from app.services.storage import get_storage


class Access(Enum):
    none = 0
    public = 1  # the resolutions of public minutes
    full = 2  # text, resolutions, action items


def require_meeting(activity: Activity) -> None:
    if activity.kind not in MEETING_KINDS:
        raise Conflict(f"只有{'、'.join(MEETING_KINDS)}可以记录纪要和督办事项", code="not_a_meeting")


async def _community_node(session: AsyncSession, org: Org) -> Org:
    """The community an org node lies in (the alliance itself for the alliance and its units)."""
    return (await session.exec(select(Org).where(Org.path == ancestor_path(org, 2)))).one()


async def _community_of(session: AsyncSession, activity: Activity) -> Org:
    return await _community_node(session, await orgs_service.get_org(session, org_id=activity.org_id))


async def minutes_access(
    session: AsyncSession, *, activity: Activity, minutes: MeetingMinutes | None, viewer: User
) -> Access:
    """What the viewer may read of a meeting's minutes."""
    if await is_organiser(session, activity=activity, user=viewer):
        return Access.full
    attended = (
        await session.exec(
            select(Attendance.id).where(
                Attendance.activity_id == activity.id, Attendance.user_id == viewer.id
            )
        )
    ).first()
    if attended is not None:
        return Access.full
    if minutes is not None and minutes.public and viewer.home_org_id:
        home = await session.get(Org, viewer.home_org_id)
        if home is not None and is_within(home, await _community_of(session, activity)):
            return Access.public
    return Access.none


async def _minutes_row(session: AsyncSession, activity_id: int) -> MeetingMinutes | None:
    stmt = select(MeetingMinutes).where(MeetingMinutes.activity_id == activity_id)
    return (await session.exec(stmt)).first()


async def _resolutions(session: AsyncSession, activity_id: int) -> list[MeetingResolution]:
    stmt = (
        select(MeetingResolution)
        .where(MeetingResolution.activity_id == activity_id)
        .order_by(col(MeetingResolution.position))
    )
    return list((await session.exec(stmt)).all())


async def _public(
    session: AsyncSession, activity: Activity, minutes: MeetingMinutes, access: Access
) -> MinutesPublic:
    names = await lookups.org_names(session, [minutes.chair_unit_id])
    return MinutesPublic(
        activity_id=cast(int, activity.id),
        activity_title=activity.title,
        kind=activity.kind,
        org_id=activity.org_id,
        starts_at=activity.starts_at,
        text=minutes.text if access == Access.full else None,
        public=minutes.public,
        chair_unit_id=minutes.chair_unit_id,
        chair_unit_name=names.get(minutes.chair_unit_id) if minutes.chair_unit_id else None,
        resolutions=[
            ResolutionPublic(id=cast(int, r.id), position=r.position, text=r.text)
            for r in await _resolutions(session, cast(int, activity.id))
        ],
        photos=(
            [f"/api/v1/activities/{activity.id}/minutes/photos/{i}" for i in range(len(minutes.photos))]
            if access == Access.full
            else []
        ),
        updated_at=minutes.updated_at,
    )


async def _check_chair(session: AsyncSession, *, activity: Activity, unit_id: int) -> None:
    unit = await session.get(Org, unit_id)
    org = await orgs_service.get_org(session, org_id=activity.org_id)
    if unit is None or unit.kind != OrgKind.unit or alliance_id(unit) != alliance_id(org):
        raise ValidationFailed("轮值主席须为本联盟的共建单位", code="invalid_chair_unit")


async def write_minutes(
    session: AsyncSession, *, activity_id: int, data: MinutesIn, actor: User
) -> MinutesPublic:
    """Write (or rewrite) a meeting's minutes and resolutions (organiser); a joint meeting records its chair."""
    activity = await get_activity(session, activity_id=activity_id)
    await require_organiser(session, activity=activity, user=actor)
    require_meeting(activity)
    chair = data.chair_unit_id
    if chair is not None and activity.kind != JOINT_MEETING:
        raise ValidationFailed("只有联席会议有轮值主席", code="not_a_joint_meeting")
    if chair is not None:
        await _check_chair(session, activity=activity, unit_id=chair)
    minutes = await _minutes_row(session, cast(int, activity.id))
    if chair is None and activity.kind == JOINT_MEETING:
        chair = minutes.chair_unit_id if minutes and minutes.chair_unit_id else None
        if chair is None:
            chair = (await _next_chair(session, org_id=activity.org_id, before=activity))[1]
    now = clock.now()
    if minutes is None:
        try:
            async with session.begin_nested():
                minutes = MeetingMinutes(
                    activity_id=cast(int, activity.id), text=data.text, written_by_id=actor.id
                )
                session.add(minutes)
                await session.flush()
        except IntegrityError:
            minutes = await _minutes_row(session, cast(int, activity.id))
    assert minutes is not None  # made here, or by the twin request that beat us to it
    minutes.text, minutes.public, minutes.chair_unit_id = data.text, data.public, chair
    minutes.written_by_id, minutes.updated_at = actor.id, now
    session.add(minutes)
    await session.exec(delete(MeetingResolution).where(col(MeetingResolution.activity_id) == activity.id))
    for position, resolution in enumerate(data.resolutions, start=1):
        session.add(
            MeetingResolution(activity_id=cast(int, activity.id), position=position, text=resolution.text)
        )
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action="meeting.minutes",
        object_type="activity",
        object_id=activity.id,
        org_id=activity.org_id,
        detail={"resolutions": len(data.resolutions), "public": data.public, "chair_unit_id": chair},
    )
    await session.commit()
    return await _public(session, activity, minutes, Access.full)


async def read_minutes(session: AsyncSession, *, activity_id: int, viewer: User) -> MinutesPublic:
    """A meeting's minutes as the viewer may read them (residents of the community: public resolutions only)."""
    activity = await get_activity(session, activity_id=activity_id)
    minutes = await _minutes_row(session, cast(int, activity.id))
    access = await minutes_access(session, activity=activity, minutes=minutes, viewer=viewer)
    if access == Access.none:
        raise NotFound("会议纪要不存在", code="minutes_not_found")
    if minutes is None:
        raise NotFound("本次会议尚未记录纪要", code="minutes_not_found")
    return await _public(session, activity, minutes, access)


async def add_minutes_photo(
    session: AsyncSession, *, activity_id: int, data: bytes, actor: User
) -> MinutesPublic:
    """The organiser adds a photo of the meeting to its minutes (written first)."""
    activity = await get_activity(session, activity_id=activity_id)
    await require_organiser(session, activity=activity, user=actor)
    minutes = await _minutes_row(session, cast(int, activity.id))
    if minutes is None:
        raise Conflict("请先记录会议纪要，再上传照片", code="minutes_required")
    if len(minutes.photos) >= MAX_MINUTES_PHOTOS:
        raise Conflict(f"每次会议最多{MAX_MINUTES_PHOTOS}张照片", code="too_many_photos")
    key = await get_storage().save(data, folder=f"meetings/{activity.id}")
    minutes.photos = [*minutes.photos, key]
    minutes.updated_at = clock.now()
    session.add(minutes)
    await session.commit()
    return await _public(session, activity, minutes, Access.full)


async def minutes_photo(
    session: AsyncSession, *, activity_id: int, index: int, viewer: User
) -> tuple[bytes, str]:
    """A photo of a meeting, for those who read its full minutes."""
    activity = await get_activity(session, activity_id=activity_id)
    minutes = await _minutes_row(session, cast(int, activity.id))
    access = await minutes_access(session, activity=activity, minutes=minutes, viewer=viewer)
    if minutes is None or access != Access.full or not 0 <= index < len(minutes.photos):
        raise NotFound("照片不存在", code="photo_not_found")
    return await get_storage().load(minutes.photos[index])


async def minutes_or_none(session: AsyncSession, *, activity: Activity, viewer: User) -> MinutesPublic | None:
    """For the activity page: the minutes the viewer may read, or None."""
    minutes = await _minutes_row(session, cast(int, activity.id))
    if minutes is None:
        return None
    access = await minutes_access(session, activity=activity, minutes=minutes, viewer=viewer)
    return None if access == Access.none else await _public(session, activity, minutes, access)


async def public_resolutions(
    session: AsyncSession, *, viewer: User, org_id: int | None = None, limit: int = 30
) -> list[MinutesPublic]:
    """公示: the public resolutions of meetings held in a community (and at its alliance), newest first:
    the viewer's own community, or with org_id the community of a node they live in or are staff over."""
    home: Org | None
    if org_id is not None:
        home = await orgs_service.get_org(session, org_id=org_id)
        lives_there = False
        if viewer.home_org_id:
            own = await session.get(Org, viewer.home_org_id)
            lives_there = own is not None and is_within(own, await _community_node(session, home))
        if not lives_there:
            await require_role_over(session, user_id=cast(int, viewer.id), org_id=cast(int, home.id))
    else:
        home = await session.get(Org, viewer.home_org_id) if viewer.home_org_id else None
        if home is None:
            return []
    community_path = ancestor_path(home, 2)
    # Meetings of the community's subtree, and of the alliance itself.
    rows = (
        await session.exec(
            select(Activity, MeetingMinutes)
            .join(MeetingMinutes, col(MeetingMinutes.activity_id) == col(Activity.id))
            .where(
                col(MeetingMinutes.public).is_(True),
                in_subtree(Activity.org_id, community_path) | (Activity.org_id == alliance_id(home)),
            )
            .order_by(col(Activity.starts_at).desc(), col(Activity.id).desc())
            .limit(limit)
        )
    ).all()
    return [await _public(session, activity, minutes, Access.public) for activity, minutes in rows]


# ---- the joint meeting's rotating chair (轮值主席) ----


async def _rotation(session: AsyncSession, org_id: int) -> ChairRotation | None:
    return (await session.exec(select(ChairRotation).where(ChairRotation.org_id == org_id))).first()


async def _last_chair(session: AsyncSession, *, org_id: int, before: Activity | None) -> int | None:
    stmt = (
        select(MeetingMinutes.chair_unit_id)
        .join(Activity, col(Activity.id) == col(MeetingMinutes.activity_id))
        .where(
            Activity.org_id == org_id,
            Activity.kind == JOINT_MEETING,
            col(MeetingMinutes.chair_unit_id).is_not(None),
        )
        .order_by(col(Activity.starts_at).desc(), col(Activity.id).desc())
        .limit(1)
    )
    if before is not None:
        stmt = stmt.where(Activity.id != before.id, Activity.starts_at <= before.starts_at)
    return (await session.exec(stmt)).first()


async def _next_chair(
    session: AsyncSession, *, org_id: int, before: Activity | None = None
) -> tuple[int | None, int | None]:
    """(last chair, next chair): the unit after the last joint meeting's chair in the rotation, wrapping round."""
    rotation = await _rotation(session, org_id)
    last = await _last_chair(session, org_id=org_id, before=before)
    order = list(rotation.unit_ids) if rotation else []
    if not order:
        return last, None
    if last in order:
        return last, order[(order.index(last) + 1) % len(order)]
    return last, order[0]


async def proposed_chair(session: AsyncSession, *, activity: Activity) -> ChairUnit | None:
    """For a joint meeting without minutes yet: the chair the rotation proposes."""
    if activity.kind != JOINT_MEETING:
        return None
    _, unit_id = await _next_chair(session, org_id=activity.org_id, before=activity)
    if unit_id is None:
        return None
    names = await lookups.org_names(session, [unit_id])
    return ChairUnit(id=unit_id, name=names.get(unit_id, ""))


async def _rotation_public(session: AsyncSession, org: Org) -> ChairRotationPublic:
    rotation = await _rotation(session, cast(int, org.id))
    unit_ids = list(rotation.unit_ids) if rotation else []
    last, nxt = await _next_chair(session, org_id=cast(int, org.id))
    names = await lookups.org_names(session, [*unit_ids, last, nxt])
    return ChairRotationPublic(
        org_id=cast(int, org.id),
        unit_ids=unit_ids,
        units=[ChairUnit(id=i, name=names.get(i, "")) for i in unit_ids],
        last_chair_unit_id=last,
        next_chair_unit_id=nxt,
        next_chair_unit_name=names.get(nxt) if nxt else None,
    )


async def _rotation_org(session: AsyncSession, org_id: int) -> Org:
    org = await orgs_service.get_org(session, org_id=org_id)
    if org.kind not in (OrgKind.alliance, OrgKind.community):
        raise ValidationFailed("轮值主席只适用于联盟总站或社区的联席会议", code="invalid_org_kind")
    return org


async def get_rotation(session: AsyncSession, *, org_id: int, actor: User) -> ChairRotationPublic:
    """The chair rotation of an org's joint meeting and the next chair (staff over the org may read it)."""
    org = await _rotation_org(session, org_id)
    await require_role_over(session, user_id=cast(int, actor.id), org_id=cast(int, org.id))
    return await _rotation_public(session, org)


async def set_rotation(
    session: AsyncSession, *, org_id: int, data: ChairRotationIn, actor: User
) -> ChairRotationPublic:
    """Set the order in which units chair the joint meeting (admin of the org's alliance)."""
    org = await _rotation_org(session, org_id)
    if not await has_role_over(
        session, user_id=cast(int, actor.id), org_id=alliance_id(org), roles=ADMIN_ONLY
    ):
        raise Forbidden("仅联盟总站管理员可以设置轮值主席")
    ids = list(data.unit_ids)
    if len(set(ids)) != len(ids):
        raise ValidationFailed("同一单位不能重复出现在轮值顺序中", code="duplicate_unit")
    units = {u.id: u for u in (await session.exec(select(Org).where(col(Org.id).in_(ids or [0])))).all()}
    for unit_id in ids:
        unit = units.get(unit_id)
        if unit is None or unit.kind != OrgKind.unit or alliance_id(unit) != alliance_id(org):
            raise ValidationFailed("轮值单位须为本联盟的共建单位", code="invalid_chair_unit")
    if org.kind == OrgKind.community and ids:
        assigned = set(
            (
                await session.exec(
                    select(UnitCommunity.unit_id).where(
                        col(UnitCommunity.community_id) == org.id, col(UnitCommunity.unit_id).in_(ids)
                    )
                )
            ).all()
        )
        if set(ids) - assigned:
            raise ValidationFailed("轮值单位须已分配到本社区", code="unit_not_assigned")
    rotation = await _rotation(session, cast(int, org.id))
    if rotation is None:
        try:
            async with session.begin_nested():
                rotation = ChairRotation(org_id=cast(int, org.id), unit_ids=ids, updated_by_id=actor.id)
                session.add(rotation)
                await session.flush()
        except IntegrityError:
            rotation = await _rotation(session, cast(int, org.id))
    assert rotation is not None  # made here, or by the twin request that beat us to it
    rotation.unit_ids, rotation.updated_by_id, rotation.updated_at = ids, actor.id, clock.now()
    session.add(rotation)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action="meeting.chair_rotation",
        object_type="org",
        object_id=org.id,
        org_id=org.id,
        detail={"unit_ids": ids},
    )
    await session.commit()
    return await _rotation_public(session, org)
