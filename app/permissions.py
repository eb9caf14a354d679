"""May this actor do this to this object? Subtree checks on the org tree, each one query.

Roles are held on a node and cover its whole subtree. Subtrees are prefix matches on the
materialised path (`orgs.path`, "/1/5/12/": alliance, community, compound, ...), so every check
below is a single indexed query. This module is the one place that reads a path: its ancestors,
its alliance, its subtree.
"""

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, exists
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Forbidden
from app.models.org import Org, OrgKind, Role
from app.models.user import User

STAFF_ROLES = ("admin", "staff")
ADMIN_ONLY = ("admin",)


# ---- the path ----

# Aliases of their own, so a subtree test never correlates with an `orgs` in the query around it.
_node = aliased(Org, name="subtree_node")
_root = aliased(Org, name="subtree_root")


def ancestor_ids(org: Org | str) -> list[int]:
    """The ids on the org's path (or on a path), the alliance first and the org itself last."""
    path = org if isinstance(org, str) else org.path
    return [int(part) for part in path.strip("/").split("/") if part]


def alliance_id(org: Org) -> int:
    """The alliance (the root of the tree) the org belongs to."""
    return ancestor_ids(org)[0]


def ancestor_path(org: Org, depth: int) -> str:
    """The path of the org's ancestor `depth` levels down from the root (1: its alliance, 2: its community)."""
    return "".join(f"/{i}" for i in ancestor_ids(org)[:depth]) + "/"


def is_within(org: Org, ancestor: Org) -> bool:
    """Whether `org` lies in the subtree of `ancestor` (itself included)."""
    return org.path.startswith(ancestor.path)


def in_subtree(column: Any, path: Any) -> ColumnElement[bool]:
    """SQL: the org id in `column` lies in the subtree whose root has `path` (itself included).

    `path` is a path, or SQL giving one (`path_of(org_id)`): an unknown root matches nothing.
    """
    return cast(ColumnElement[bool], column.in_(select(_node.id).where(col(_node.path).startswith(path))))


def path_of(org_id: int | BindParameter[int]) -> Any:
    """SQL: the path of the node `org_id` (NULL if there is none), for `in_subtree` without loading it."""
    return select(_root.path).where(_root.id == org_id).scalar_subquery()


_alliance = aliased(Org, name="alliance_root")
_member = aliased(Org, name="alliance_member")


def alliance_path_sql(org_id: int | BindParameter[int]) -> Any:
    """SQL: the path of the alliance (the root) over node `org_id`, what `alliance_path_of` gives for a
    person belonging there; NULL if there is no such node. For `in_subtree` without loading the node."""
    return (
        select(_alliance.path)
        .join(_member, col(_member.path).startswith(col(_alliance.path)))
        .where(_member.id == org_id, col(_alliance.parent_id).is_(None))
        .scalar_subquery()
    )


# ---- roles ----

# Built once: the role's node (holder) is an ancestor of, or is, the target node.
_holder = aliased(Org, name="role_holder")
_target = aliased(Org, name="role_target")
_ROLE_OVER = (
    select(Role.id)
    .join(_holder, col(_holder.id) == col(Role.org_id))
    .join(
        _target,
        and_(col(_target.id) == bindparam("org_id"), col(_target.path).startswith(col(_holder.path))),
    )
    .where(col(Role.user_id) == bindparam("user_id"), col(Role.role).in_(bindparam("roles", expanding=True)))
    .limit(1)
)
_ALLIANCE_ADMIN = (
    select(Role.id)
    .join(Org, col(Org.id) == col(Role.org_id))
    .where(
        col(Role.user_id) == bindparam("user_id"),
        col(Role.role) == "admin",
        col(Org.kind) == OrgKind.alliance,
    )
    .limit(1)
)
_ANY_ROLE = select(Role.id).where(col(Role.user_id) == bindparam("user_id")).limit(1)


def covered_by_role(
    user_id: int | BindParameter[int], org_id_column: Any, roles: Iterable[str] = STAFF_ROLES
) -> ColumnElement[bool]:
    """SQL: the row's org lies in a subtree where the user holds one of `roles` (`user_id` may be a
    `bindparam`, for a statement built once).

    Use it in list queries to scope rows to the actor: `.where(covered_by_role(uid, Wish.org_id))`.
    """
    return exists(
        select(Role.id)
        .join(_holder, col(_holder.id) == col(Role.org_id))
        .join(_target, col(_target.id) == org_id_column)
        .where(
            col(Role.user_id) == user_id,
            col(Role.role).in_(tuple(roles)),
            col(_target.path).startswith(col(_holder.path)),
        )
    )


async def has_role_over(
    session: AsyncSession, *, user_id: int, org_id: int, roles: Iterable[str] = STAFF_ROLES
) -> bool:
    """Whether the user holds one of `roles` on `org_id` or any of its ancestors."""
    params = {"user_id": user_id, "org_id": org_id, "roles": list(roles)}
    return (await session.exec(_ROLE_OVER, params=params)).first() is not None


async def require_role_over(
    session: AsyncSession, *, user_id: int, org_id: int, roles: Iterable[str] = STAFF_ROLES
) -> None:
    """Raise Forbidden unless the user holds one of `roles` over `org_id`."""
    if not await has_role_over(session, user_id=user_id, org_id=org_id, roles=roles):
        raise Forbidden("您在该组织没有相应的权限")


def belonging_org_id(person: User) -> int | None:
    """The node a person belongs to for every rule about them: their home, or where they were registered.

    Whoever may act for the person (redeem, grant, correct, mark hardship) needs a role over this
    node, and the alliance policies that bind them are read from it. None: nobody may act for them.
    """
    return person.home_org_id or person.registered_org_id


async def may_act_for(
    session: AsyncSession, *, actor_id: int, person: User, roles: Iterable[str] = STAFF_ROLES
) -> bool:
    """Whether the actor holds one of `roles` over the node the person belongs to (never over themselves)."""
    org_id = belonging_org_id(person)
    return (
        org_id is not None
        and actor_id != person.id
        and await has_role_over(session, user_id=actor_id, org_id=org_id, roles=roles)
    )


async def alliance_path_of(session: AsyncSession, person: User) -> str | None:
    """The path prefix ("/1/") of the alliance the person belongs to (`belonging_org_id`); None if nowhere."""
    org_id = belonging_org_id(person)
    org = await session.get(Org, org_id) if org_id is not None else None  # often in the identity map
    return f"/{alliance_id(org)}/" if org else None


async def may_see_published(session: AsyncSession, *, person: User, org_id: int) -> bool:
    """Whether the person may see what a node publishes (wishes, activities, stations, posts, shifts).

    Published things are for the people of the node's alliance: those who belong there, and staff over
    the node. Someone who belongs nowhere yet (a new sign-up) sees every alliance's. Lists use
    `published_to(person_path, column)` for the same rule in SQL.
    """
    own = belonging_org_id(person)
    if own is None:
        return True
    return await _same_alliance(session, own, org_id) or await has_role_over(
        session, user_id=cast(int, person.id), org_id=org_id
    )


async def _same_alliance(session: AsyncSession, org_id: int, other_id: int) -> bool:
    """Whether two nodes have the same root (one statement for both paths)."""
    rows = (await session.exec(select(Org.id, Org.path).where(col(Org.id).in_((org_id, other_id))))).all()
    paths = {row[0]: row[1] for row in rows}
    return (
        org_id in paths
        and other_id in paths
        and ancestor_ids(paths[org_id])[0] == ancestor_ids(paths[other_id])[0]
    )


def published_to(person: User, root: str | None, org_id_column: Any) -> ColumnElement[bool] | None:
    """SQL for `may_see_published` over a list (`root` from `alliance_path_of`); None: no filter needed."""
    if root is None:
        return None
    return in_subtree(org_id_column, root) | covered_by_role(cast(int, person.id), org_id_column)


async def belongs_in_alliance_of(session: AsyncSession, *, person: User, org_id: int) -> bool:
    """Whether the node the person belongs to lies in the alliance of `org_id` (False if they belong nowhere).

    Minutes are earned and spent inside one alliance: a reward is for the people who belong there.
    """
    own = belonging_org_id(person)
    return own is not None and await _same_alliance(session, own, org_id)


async def is_alliance_admin(session: AsyncSession, *, user_id: int) -> bool:
    """Whether the user is an admin on an alliance (root) node."""
    return (await session.exec(_ALLIANCE_ADMIN, params={"user_id": user_id})).first() is not None


async def require_alliance_admin(session: AsyncSession, *, user_id: int) -> None:
    if not await is_alliance_admin(session, user_id=user_id):
        raise Forbidden("仅联盟总站管理员可以操作")


async def has_any_staff_role(session: AsyncSession, *, user_id: int) -> bool:
    """Whether the user holds any staff or admin role at all (for the /admin console)."""
    return (await session.exec(_ANY_ROLE, params={"user_id": user_id})).first() is not None


async def holds_role_on(session: AsyncSession, *, user_id: int, org_id: int) -> bool:
    """Whether the user holds any role on exactly this node (not inherited from above)."""
    stmt = select(Role.id).where(Role.user_id == user_id, Role.org_id == org_id).limit(1)
    return (await session.exec(stmt)).first() is not None


async def role_holders(session: AsyncSession, *, org_id: int) -> list[int]:
    """The people holding a role on exactly this node (to tell them of work sent to it)."""
    return list((await session.exec(select(Role.user_id).where(Role.org_id == org_id))).all())


async def roles_of(session: AsyncSession, *, user_id: int) -> list[Role]:
    """The user's roles, by node id."""
    return list(
        (await session.exec(select(Role).where(Role.user_id == user_id).order_by(col(Role.org_id)))).all()
    )


async def roles_with_orgs(session: AsyncSession, *, user_id: int) -> list[tuple[Role, Org]]:
    """The user's roles with the nodes they are held on, in tree order."""
    stmt = (
        select(Role, Org)
        .join(Org, col(Org.id) == col(Role.org_id))
        .where(Role.user_id == user_id)
        .order_by(col(Org.path))
    )
    return [(role, org) for role, org in (await session.exec(stmt)).all()]


async def orgs_with_role(
    session: AsyncSession,
    *,
    user_id: int,
    roles: Iterable[str] = STAFF_ROLES,
    kinds: Iterable[str] | None = None,
) -> list[Org]:
    """The nodes the user holds one of `roles` on (optionally only nodes of `kinds`), by id."""
    stmt = (
        select(Org)
        .join(Role, col(Role.org_id) == col(Org.id))
        .where(Role.user_id == user_id, col(Role.role).in_(tuple(roles)))
    )
    if kinds is not None:
        stmt = stmt.where(col(Org.kind).in_(tuple(kinds)))
    return list((await session.exec(stmt.order_by(col(Org.id)))).all())
