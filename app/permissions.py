"""May this actor do this to this object? Subtree checks on the org tree, each one query.

Roles are held on a node and cover its whole subtree. Subtrees are prefix matches on the
materialised path (`orgs.path`), so every check below is a single indexed query.
"""

from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import aliased
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Forbidden
from app.models.org import Org, OrgKind, Role

STAFF_ROLES = ("admin", "staff")
ADMIN_ONLY = ("admin",)


def covered_by_role(user_id: int, org_id_column, roles: Iterable[str] = STAFF_ROLES) -> ColumnElement[bool]:
    """SQL: the row's org lies in a subtree where the user holds one of `roles`.

    Use it in list queries to scope rows to the actor: `.where(covered_by_role(uid, Wish.org_id))`.
    """
    holder = aliased(Org)
    target = aliased(Org)
    return exists(
        select(Role.id)
        .join(holder, holder.id == Role.org_id)
        .join(target, target.id == org_id_column)
        .where(Role.user_id == user_id, Role.role.in_(tuple(roles)), target.path.startswith(holder.path))
    )


async def has_role_over(
    session: AsyncSession, *, user_id: int, org_id: int, roles: Iterable[str] = STAFF_ROLES
) -> bool:
    """Whether the user holds one of `roles` on `org_id` or any of its ancestors."""
    holder = aliased(Org)
    target = aliased(Org)
    stmt = (
        select(Role.id)
        .join(holder, holder.id == Role.org_id)
        .join(target, and_(target.id == org_id, target.path.startswith(holder.path)))
        .where(Role.user_id == user_id, Role.role.in_(tuple(roles)))
        .limit(1)
    )
    return (await session.exec(stmt)).first() is not None


async def require_role_over(
    session: AsyncSession, *, user_id: int, org_id: int, roles: Iterable[str] = STAFF_ROLES
) -> None:
    """Raise Forbidden unless the user holds one of `roles` over `org_id`."""
    if not await has_role_over(session, user_id=user_id, org_id=org_id, roles=roles):
        raise Forbidden("您在该组织没有相应的权限")


async def is_alliance_admin(session: AsyncSession, *, user_id: int) -> bool:
    """Whether the user is an admin on an alliance (root) node."""
    stmt = (
        select(Role.id)
        .join(Org, Org.id == Role.org_id)
        .where(Role.user_id == user_id, Role.role == "admin", Org.kind == OrgKind.alliance)
        .limit(1)
    )
    return (await session.exec(stmt)).first() is not None


async def require_alliance_admin(session: AsyncSession, *, user_id: int) -> None:
    if not await is_alliance_admin(session, user_id=user_id):
        raise Forbidden("仅联盟总站管理员可以操作")


async def has_any_staff_role(session: AsyncSession, *, user_id: int) -> bool:
    """Whether the user holds any staff or admin role at all (for the /admin console)."""
    return (await session.exec(select(Role.id).where(Role.user_id == user_id).limit(1))).first() is not None
