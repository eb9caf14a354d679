"""The organisation tree: nodes, roles on nodes, and units assigned to communities."""

from sqlmodel import delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Conflict, NotFound, ValidationFailed
from app.models.org import CHILD_KINDS, KIND_LABELS, Org, OrgCreate, OrgKind, Role, UnitCommunity
from app.models.user import User
from app.pagination import PageParams, paginate
from app.permissions import ADMIN_ONLY, is_within, require_alliance_admin, require_role_over
from app.services import audit
from app.services import users as users_service


async def get_org(session: AsyncSession, *, org_id: int) -> Org:
    org = await session.get(Org, org_id)
    if org is None:
        raise NotFound("组织不存在", code="org_not_found")
    return org


async def create_org(session: AsyncSession, *, data: OrgCreate, actor: User) -> Org:
    """Add a node under a parent the actor administers (a new root alliance needs an alliance admin)."""
    if data.parent_id is None:
        if data.kind != OrgKind.alliance:
            raise ValidationFailed("请选择上级组织", code="parent_required")
        await require_alliance_admin(session, user_id=actor.id)
        parent = None
    else:
        parent = await get_org(session, org_id=data.parent_id)
        await require_role_over(session, user_id=actor.id, org_id=parent.id, roles=ADMIN_ONLY)
        if data.kind not in CHILD_KINDS[OrgKind(parent.kind)]:
            raise ValidationFailed(
                f"{KIND_LABELS[parent.kind]}下不能设立{KIND_LABELS[data.kind]}", code="invalid_org_kind"
            )
    org = await add_org(session, name=data.name, kind=data.kind, parent=parent)
    await audit.record(
        session,
        actor_id=actor.id,
        action="org.create",
        object_type="org",
        object_id=org.id,
        org_id=org.id,
        detail={"name": org.name, "kind": org.kind},
    )
    await session.commit()
    return org


async def add_org(session: AsyncSession, *, name: str, kind: str, parent: Org | None) -> Org:
    """Insert a node and its materialised path (flushes; for the CLI, the demo and create_org)."""
    org = Org(name=name, kind=kind, parent_id=parent.id if parent else None)
    session.add(org)
    await session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    session.add(org)
    await session.flush()
    return org


async def list_children(
    session: AsyncSession, *, org_id: int, params: PageParams
) -> tuple[list[Org], str | None]:
    await get_org(session, org_id=org_id)
    return await paginate(
        session, select(Org).where(Org.parent_id == org_id), Org.id, params, newest_first=False
    )


async def assign_role(session: AsyncSession, *, org_id: int, phone: str, role: str, actor: User) -> Role:
    """Give the person with `phone` a role on the node (creating the person if new)."""
    org = await get_org(session, org_id=org_id)
    await require_role_over(session, user_id=actor.id, org_id=org.id, roles=ADMIN_ONLY)
    user = await users_service.get_or_create_by_phone(session, phone=phone, registered_at=org.id)
    row = await grant_role(session, user_id=user.id, org_id=org.id, role=role)
    await audit.record(
        session,
        actor_id=actor.id,
        action="role.assign",
        object_type="user",
        object_id=user.id,
        org_id=org.id,
        detail={"role": role},
    )
    await session.commit()
    return row


async def grant_role(session: AsyncSession, *, user_id: int, org_id: int, role: str) -> Role:
    """Set the user's role on the node (flushes)."""
    row = (await session.exec(select(Role).where(Role.user_id == user_id, Role.org_id == org_id))).first()
    if row is None:
        row = Role(user_id=user_id, org_id=org_id, role=role)
    row.role = role
    session.add(row)
    await session.flush()
    return row


async def remove_role(session: AsyncSession, *, org_id: int, user_id: int, actor: User) -> None:
    org = await get_org(session, org_id=org_id)
    await require_role_over(session, user_id=actor.id, org_id=org.id, roles=ADMIN_ONLY)
    if user_id == actor.id:
        raise Conflict("不能移除自己的管理权限", code="cannot_remove_own_role")
    result = await session.exec(delete(Role).where(Role.org_id == org_id, Role.user_id == user_id))
    if result.rowcount == 0:
        raise NotFound("该用户在此组织没有角色", code="role_not_found")
    await audit.record(
        session, actor_id=actor.id, action="role.remove", object_type="user", object_id=user_id, org_id=org_id
    )
    await session.commit()


async def assign_unit(
    session: AsyncSession, *, unit_id: int, community_id: int, actor: User
) -> UnitCommunity:
    """Assign a member unit to a community of the same alliance (共驻共建)."""
    unit = await get_org(session, org_id=unit_id)
    if unit.kind != OrgKind.unit:
        raise ValidationFailed("只能为共建单位分配社区", code="not_a_unit")
    await require_role_over(session, user_id=actor.id, org_id=unit.parent_id, roles=ADMIN_ONLY)
    community = await get_org(session, org_id=community_id)
    alliance = await get_org(session, org_id=unit.parent_id)
    if community.kind != OrgKind.community or not is_within(community, alliance):
        raise ValidationFailed("请选择本联盟的社区", code="invalid_community")
    row = (
        await session.exec(
            select(UnitCommunity).where(
                UnitCommunity.unit_id == unit_id, UnitCommunity.community_id == community_id
            )
        )
    ).first()
    if row is None:
        row = UnitCommunity(unit_id=unit_id, community_id=community_id)
        session.add(row)
        await session.flush()
        await audit.record(
            session,
            actor_id=actor.id,
            action="unit.assign",
            object_type="org",
            object_id=unit_id,
            org_id=community_id,
        )
    await session.commit()
    return row
