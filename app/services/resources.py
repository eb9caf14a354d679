"""Member units' service resources (服务资源清单): what each unit offers the communities it serves."""

from sqlalchemy import or_
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Forbidden, NotFound
from app.models.org import Org, OrgKind, UnitCommunity
from app.models.resources import ResourceCreate, ResourcePublic, UnitResource
from app.models.user import User
from app.pagination import PageParams, paginate
from app.permissions import ancestor_ids, covered_by_role, in_subtree, require_role_over
from app.services import audit, content, lookups, wish_categories


def _public(row: UnitResource, *, unit_name: str | None, full_phone: bool) -> ResourcePublic:
    return ResourcePublic(
        id=row.id,
        unit_id=row.unit_id,
        unit_name=unit_name,
        title=row.title,
        description=row.description,
        category=row.category,
        contact_name=row.contact_name,
        contact_phone=lookups.shown_phone(row.contact_phone, full=full_phone),
        active=row.active,
        created_at=row.created_at,
    )


async def _unit(session: AsyncSession, unit_id: int) -> Org:
    unit = await session.get(Org, unit_id)
    if unit is None or unit.kind != OrgKind.unit:
        raise NotFound("共建单位不存在", code="unit_not_found")
    return unit


async def create_resource(session: AsyncSession, *, data: ResourceCreate, actor: User) -> ResourcePublic:
    """A unit's admin or staff publishes a service the unit offers."""
    unit = await _unit(session, data.unit_id)
    await require_role_over(session, user_id=actor.id, org_id=unit.id)
    content.check_text(data.title, data.description)
    await wish_categories.require_category(session, org_id=unit.id, category=data.category)
    row = UnitResource(
        unit_id=unit.id,
        title=data.title.strip(),
        description=data.description.strip(),
        category=data.category,
        contact_name=data.contact_name.strip(),
        contact_phone=data.contact_phone,
        created_by_id=actor.id,
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action="resource.create",
        object_type="unit_resource",
        object_id=row.id,
        org_id=unit.id,
        detail={"title": row.title},
    )
    await session.commit()
    return _public(row, unit_name=unit.name, full_phone=True)


async def withdraw_resource(session: AsyncSession, *, resource_id: int, actor: User) -> ResourcePublic:
    """The unit takes a resource off its list (kept for the record, no longer offered)."""
    row = await session.get(UnitResource, resource_id)
    if row is None:
        raise NotFound("服务资源不存在", code="resource_not_found")
    await require_role_over(session, user_id=actor.id, org_id=row.unit_id)
    row.active = False
    session.add(row)
    await audit.record(
        session,
        actor_id=actor.id,
        action="resource.withdraw",
        object_type="unit_resource",
        object_id=row.id,
        org_id=row.unit_id,
    )
    await session.commit()
    unit = await session.get(Org, row.unit_id)
    return _public(row, unit_name=unit.name if unit else None, full_phone=True)


async def list_resources(
    session: AsyncSession,
    *,
    actor: User,
    params: PageParams,
    unit_id: int | None = None,
    community_id: int | None = None,
    category: str | None = None,
    include_withdrawn: bool = False,
) -> tuple[list[ResourcePublic], str | None]:
    """Resources on offer, by unit, by community served, or by category (contact phones masked but to the unit's staff)."""
    staff = covered_by_role(actor.id, UnitResource.unit_id)
    stmt = select(UnitResource, Org.name, staff.label("is_staff")).join(Org, Org.id == UnitResource.unit_id)
    if unit_id is not None:
        stmt = stmt.where(UnitResource.unit_id == unit_id)
    if community_id is not None:
        stmt = stmt.where(
            UnitResource.unit_id.in_(
                select(UnitCommunity.unit_id).where(UnitCommunity.community_id == community_id)
            )
        )
    if category:
        stmt = stmt.where(UnitResource.category == category)
    if not include_withdrawn:
        stmt = stmt.where(UnitResource.active.is_(True))
    rows, cursor = await paginate(session, stmt, UnitResource.id, params)
    return [_public(r, unit_name=name, full_phone=bool(is_staff)) for r, name, is_staff in rows], cursor


async def dispatch_choices(session: AsyncSession, *, org_id: int, category: str | None = None) -> list[dict]:
    """Units serving the wish's place, those offering a resource in its category first (for the review form)."""
    org = await session.get(Org, org_id)
    if org is None:
        return []
    stmt = select(Org).where(Org.kind == OrgKind.unit, Org.id.in_(units_serving_stmt(org))).order_by(Org.id)
    units = list((await session.exec(stmt)).all())
    matching: set[int] = set()
    if category and units:
        matching = set(
            (
                await session.exec(
                    select(UnitResource.unit_id).where(
                        UnitResource.unit_id.in_([u.id for u in units]),
                        UnitResource.category == category,
                        UnitResource.active.is_(True),
                    )
                )
            ).all()
        )
    choices = [{"id": u.id, "name": u.name, "matches": u.id in matching} for u in units]
    return sorted(choices, key=lambda c: not c["matches"])


def units_serving_stmt(org: Org):
    """SQL: ids of the member units serving `org`'s subtree.

    An alliance is served by all its units; a community, compound or grid by the units assigned to
    its community (or, for an alliance-level view, to any community in it).
    """
    if org.kind == OrgKind.alliance:
        return select(Org.id).where(Org.kind == OrgKind.unit, in_subtree(Org.id, org.path))
    if org.kind == OrgKind.unit:
        return select(Org.id).where(Org.id == org.id)
    community = Org.__table__.alias("serving_community")
    # The community is the node on org's path whose kind is community (org itself, or an ancestor).
    return (
        select(UnitCommunity.unit_id)
        .join(community, community.c.id == UnitCommunity.community_id)
        .where(
            community.c.kind == OrgKind.community,
            or_(in_subtree(community.c.id, org.path), community.c.id.in_(ancestor_ids(org))),
        )
    )


async def manage_page(session: AsyncSession, *, user: User) -> dict:
    """The units the person runs (admin or staff), each with its resources, for the management page."""
    units = list(
        (
            await session.exec(
                select(Org).where(Org.kind == OrgKind.unit, covered_by_role(user.id, Org.id)).order_by(Org.id)
            )
        ).all()
    )
    if not units:
        raise Forbidden("仅共建单位的管理员或工作人员可以管理服务资源", code="not_unit_staff")
    rows = (
        await session.exec(
            select(UnitResource)
            .where(UnitResource.unit_id.in_([u.id for u in units]))
            .order_by(UnitResource.active.desc(), UnitResource.id.desc())
        )
    ).all()
    names = {u.id: u.name for u in units}
    return {
        "units": units,
        "resources": [_public(r, unit_name=names[r.unit_id], full_phone=True) for r in rows],
        "categories": await wish_categories.categories_for(session, org_id=units[0].id),
    }
