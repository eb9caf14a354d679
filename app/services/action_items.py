"""Action items (督办事项) a meeting gives a person or a unit: open → done, or overdue and escalated.

The state moves only here, by conditional updates: `done` from open or overdue by the owner (the
person, or an admin of the owning unit); `overdue` by the timed job once the due date has passed,
which tells the staff of the node above the meeting's, as grid events escalate.
"""

from datetime import timedelta
from typing import cast

from sqlalchemy import and_, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from app.models.activities import Activity
from app.models.meetings import (
    MAX_ITEM_PHOTOS,
    ActionItem,
    ActionItemCreate,
    ActionItemPublic,
    ActionItemStatus,
)
from app.models.org import Org
from app.models.user import User
from app.pagination import PageParams, paginate
from app.permissions import (
    ADMIN_ONLY,
    STAFF_ROLES,
    alliance_id,
    ancestor_ids,
    covered_by_role,
    has_role_over,
    in_subtree,
    require_role_over,
    role_holders,
)
from app.services import audit, lookups
from app.services import notifications as notify_service
from app.services import orgs as orgs_service
from app.services.activities import get_activity, require_organiser
from app.services.meetings import Access, minutes_access, require_meeting
from app.services.storage import get_storage

S = ActionItemStatus


async def _owners(session: AsyncSession, item: ActionItem) -> list[int]:
    """The people answerable for an item: its owner, or the holders of a role on the owning unit."""
    if item.owner_user_id:
        return [item.owner_user_id]
    return await role_holders(
        session, org_id=cast(int, item.owner_org_id)
    )  # an item has one owner or the other


async def _may_mark_done(session: AsyncSession, item: ActionItem, user: User) -> bool:
    if item.owner_user_id is not None:
        return item.owner_user_id == user.id
    return await has_role_over(
        session, user_id=cast(int, user.id), org_id=cast(int, item.owner_org_id), roles=ADMIN_ONLY
    )


async def _publics(session: AsyncSession, items: list[ActionItem], viewer: User) -> list[ActionItemPublic]:
    people = await lookups.users_by_id(session, [i.owner_user_id for i in items])
    orgs = await lookups.org_names(session, [i.owner_org_id for i in items])
    titles = {}
    if items:
        titles = dict(
            (
                await session.exec(
                    select(col(Activity.id), col(Activity.title)).where(
                        col(Activity.id).in_({i.activity_id for i in items})
                    )
                )
            ).all()
        )
    # The owning units the viewer administers, in one query rather than one per item.
    unit_ids = {i.owner_org_id for i in items if i.owner_org_id}
    administered = set()
    if unit_ids:
        administered = set(
            (
                await session.exec(
                    select(col(Org.id)).where(
                        col(Org.id).in_(unit_ids),
                        covered_by_role(cast(int, viewer.id), col(Org.id), ADMIN_ONLY),
                    )
                )
            ).all()
        )
    out = []
    for i in items:
        owner = people.get(i.owner_user_id) if i.owner_user_id else None
        may_mark_done = i.owner_user_id == viewer.id if i.owner_user_id else i.owner_org_id in administered
        out.append(
            ActionItemPublic(
                id=cast(int, i.id),
                activity_id=i.activity_id,
                activity_title=titles.get(i.activity_id),
                org_id=i.org_id,
                text=i.text,
                owner_user_id=i.owner_user_id,
                owner_name=owner.name if owner else None,
                owner_org_id=i.owner_org_id,
                owner_org_name=orgs.get(i.owner_org_id) if i.owner_org_id else None,
                due_on=i.due_on,
                status=ActionItemStatus(i.status),
                escalated_org_id=i.escalated_org_id,
                done_note=i.done_note,
                done_at=i.done_at,
                photos=[f"/api/v1/action-items/{i.id}/photos/{n}" for n in range(len(i.photos))],
                created_at=i.created_at,
                can_mark_done=i.status != S.done and may_mark_done,
            )
        )
    return out


async def create_item(
    session: AsyncSession, *, activity_id: int, data: ActionItemCreate, actor: User
) -> ActionItemPublic:
    """Give a meeting's follow-up to a person or a unit with a due date (organiser); the owner is told."""
    activity = await get_activity(session, activity_id=activity_id)
    await require_organiser(session, activity=activity, user=actor)
    require_meeting(activity)
    if data.due_on < clock.today():
        raise ValidationFailed("完成期限不能早于今天", code="due_in_past")
    org = await orgs_service.get_org(session, org_id=activity.org_id)
    if data.owner_user_id is not None and await session.get(User, data.owner_user_id) is None:
        raise ValidationFailed("责任人不存在", code="invalid_owner")
    if data.owner_org_id is not None:
        owner_org = await session.get(Org, data.owner_org_id)
        if owner_org is None or alliance_id(owner_org) != alliance_id(org):
            raise ValidationFailed("责任单位须为本联盟的组织或共建单位", code="invalid_owner")
    item = ActionItem(
        activity_id=cast(int, activity.id),
        org_id=activity.org_id,
        text=data.text,
        owner_user_id=data.owner_user_id,
        owner_org_id=data.owner_org_id,
        due_on=data.due_on,
        created_by_id=actor.id,
    )
    session.add(item)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action="action_item.create",
        object_type="action_item",
        object_id=item.id,
        org_id=activity.org_id,
        detail={"owner_user_id": item.owner_user_id, "owner_org_id": item.owner_org_id},
    )
    for user_id in await _owners(session, item):
        await notify_service.notify(
            session,
            user_id=user_id,
            kind="action_item_assigned",
            title="会议交办了一项督办事项",
            body=f"{activity.title}：{item.text}（{item.due_on.isoformat()} 前完成）",
            link="/meetings/action-items",
            ref_type="action_item",
            ref_id=item.id,
        )
    await session.commit()
    return (await _publics(session, [item], actor))[0]


async def items_of_meeting(
    session: AsyncSession, *, activity_id: int, viewer: User
) -> list[ActionItemPublic]:
    """A meeting's action items, for those who read its full minutes."""
    activity = await get_activity(session, activity_id=activity_id)
    if await minutes_access(session, activity=activity, minutes=None, viewer=viewer) != Access.full:
        raise NotFound("会议不存在", code="activity_not_found")
    rows = (
        await session.exec(
            select(ActionItem).where(col(ActionItem.activity_id) == activity.id).order_by(col(ActionItem.id))
        )
    ).all()
    return await _publics(session, list(rows), viewer)


async def _visible_item(session: AsyncSession, *, item_id: int, user: User) -> tuple[ActionItem, bool]:
    """The item, if the user owns it (or administers the owning unit) or is staff over its meeting: (item, owner)."""
    item = await session.get(ActionItem, item_id)
    if item is None:
        raise NotFound("督办事项不存在", code="action_item_not_found")
    if await _may_mark_done(session, item, user):
        return item, True
    if await has_role_over(session, user_id=cast(int, user.id), org_id=item.org_id, roles=STAFF_ROLES):
        return item, False
    raise NotFound("督办事项不存在", code="action_item_not_found")


async def add_photo(session: AsyncSession, *, item_id: int, data: bytes, actor: User) -> ActionItemPublic:
    """The owner adds a photo of what was done (at most MAX_ITEM_PHOTOS)."""
    item, owner = await _visible_item(session, item_id=item_id, user=actor)
    if not owner:
        raise Forbidden("只有责任人或责任单位的管理员可以上传照片")
    if len(item.photos) >= MAX_ITEM_PHOTOS:
        raise Conflict(f"每个事项最多{MAX_ITEM_PHOTOS}张照片", code="too_many_photos")
    key = await get_storage().save(data, folder=f"action_items/{item.id}")
    item.photos = [*item.photos, key]
    session.add(item)
    await session.commit()
    return (await _publics(session, [item], actor))[0]


async def item_photo(session: AsyncSession, *, item_id: int, index: int, viewer: User) -> tuple[bytes, str]:
    """A photo of an action item, for its owner and the staff over its meeting."""
    item, _ = await _visible_item(session, item_id=item_id, user=viewer)
    if not 0 <= index < len(item.photos):
        raise NotFound("照片不存在", code="photo_not_found")
    return await get_storage().load(item.photos[index])


async def mark_done(session: AsyncSession, *, item_id: int, note: str, actor: User) -> ActionItemPublic:
    """The owner (or an admin of the owning unit) reports the item done, with a note: open/overdue → done."""
    item, owner = await _visible_item(session, item_id=item_id, user=actor)
    if not owner:
        raise Forbidden("只有责任人或责任单位的管理员可以办结")
    now = clock.now()
    result = await session.exec(
        update(ActionItem)
        .where(col(ActionItem.id) == item.id, col(ActionItem.status).in_((S.open, S.overdue)))
        .values(status=S.done, done_note=note, done_by_id=actor.id, done_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise InvalidState("该事项已办结")
    await audit.record(
        session,
        actor_id=actor.id,
        action="action_item.done",
        object_type="action_item",
        object_id=item.id,
        org_id=item.org_id,
    )
    if item.created_by_id and item.created_by_id != actor.id:
        await notify_service.notify(
            session,
            user_id=item.created_by_id,
            kind="action_item_done",
            title="督办事项已办结",
            body=f"{item.text}：{note}",
            link=f"/activities/{item.activity_id}",
            ref_type="action_item",
            ref_id=item.id,
        )
    await session.commit()
    await session.refresh(item)
    return (await _publics(session, [item], actor))[0]


async def list_items(
    session: AsyncSession,
    *,
    org_id: int | None,
    status: ActionItemStatus | None,
    params: PageParams,
    viewer: User,
) -> tuple[list[ActionItemPublic], str | None]:
    """With org_id: the items of meetings in its subtree (staff over it). Without: the viewer's own
    (theirs, or their units' where they are admin)."""
    stmt = select(ActionItem)
    if org_id is not None:
        org = await orgs_service.get_org(session, org_id=org_id)
        await require_role_over(session, user_id=cast(int, viewer.id), org_id=cast(int, org.id))
        stmt = stmt.where(in_subtree(ActionItem.org_id, org.path))
    else:
        stmt = stmt.where(
            or_(
                col(ActionItem.owner_user_id) == viewer.id,
                covered_by_role(cast(int, viewer.id), ActionItem.owner_org_id, ADMIN_ONLY),
            )
        )
    if status is not None:
        stmt = stmt.where(ActionItem.status == status)
    rows, cursor = await paginate(session, stmt, ActionItem.id, params)
    return await _publics(session, rows, viewer), cursor


# ---- the timed job ----


# An overdue item climbs one level of the tree for every further day it stays undone, as grid events do.
ESCALATE_EVERY = timedelta(days=1)


async def mark_overdue(session: AsyncSession) -> int:
    """Open items past their due date become overdue, escalated to the staff of the node above the
    meeting's; an item still undone a day later climbs one more level, up to the alliance."""
    today = clock.today()
    now = clock.now()
    top = aliased(Org)  # where it was escalated to: nothing is above the alliance
    rows = (
        await session.exec(
            select(ActionItem, Org.path)
            .join(Org, col(Org.id) == col(ActionItem.org_id))
            .outerjoin(top, col(top.id) == col(ActionItem.escalated_org_id))
            .where(
                or_(
                    and_(col(ActionItem.status) == S.open, col(ActionItem.due_on) < today),
                    and_(
                        col(ActionItem.status) == S.overdue,
                        col(ActionItem.escalated_at) < now - ESCALATE_EVERY,
                        col(top.parent_id).is_not(None),
                    ),
                )
            )
            .order_by(col(ActionItem.id))
            .limit(500)
        )
    ).all()
    moved = 0
    for item, path in rows:
        chain = ancestor_ids(path)
        was_open = item.status == S.open
        if was_open:
            target = chain[-2] if len(chain) > 1 else chain[-1]
        else:
            level = chain.index(item.escalated_org_id) if item.escalated_org_id in chain else 0
            target = chain[max(level - 1, 0)]
        result = await session.exec(
            update(ActionItem)
            .where(
                col(ActionItem.id) == item.id,
                col(ActionItem.status) == item.status,
                col(ActionItem.escalated_org_id).is_(None)
                if item.escalated_org_id is None
                else col(ActionItem.escalated_org_id) == item.escalated_org_id,
            )
            .values(
                status=S.overdue,
                escalated_org_id=target,
                escalated_at=now,
                **({"overdue_at": now} if was_open else {}),
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            continue
        told = set(await role_holders(session, org_id=target)) | set(await _owners(session, item))
        for user_id in sorted(told):
            await notify_service.notify(
                session,
                user_id=user_id,
                kind="action_item_overdue",
                title="有会议督办事项逾期未办结" if was_open else "会议督办事项仍未办结，已上报上级督办",
                body=f"{item.text}（应于 {item.due_on.isoformat()} 前完成）",
                link="/meetings/action-items",
                ref_type="action_item",
                ref_id=item.id,
            )
        moved += 1
    await session.commit()
    return moved


JOBS = {"meetings.mark_overdue": mark_overdue}
