"""The permission helper on a tree four levels deep: roles cover their subtree, each check is one query."""

import pytest
from sqlalchemy import event
from sqlmodel import select

from app.errors import Forbidden
from app.models.org import Org, OrgKind
from app.models.user import User
from app.permissions import (
    ADMIN_ONLY,
    alliance_id,
    ancestor_ids,
    ancestor_path,
    covered_by_role,
    has_any_staff_role,
    has_role_over,
    holds_role_on,
    in_subtree,
    is_alliance_admin,
    is_within,
    orgs_with_role,
    path_of,
    require_alliance_admin,
    require_role_over,
    role_holders,
    roles_of,
    roles_with_orgs,
)
from app.services import orgs as orgs_service
from tests.factories import make_tree, make_user

NAMES = ("alliance", "community", "compound", "grid", "other_community", "other_compound", "unit")


async def covered(session, tree, user, roles=("admin", "staff")) -> set[str]:
    """Which of the tree's nodes has_role_over says the user covers."""
    out = set()
    for name in NAMES:
        if await has_role_over(session, user_id=user.id, org_id=getattr(tree, name).id, roles=roles):
            out.add(name)
    return out


async def test_staff_on_community_covers_its_compounds_and_grids_only(session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    assert await covered(session, tree, staff) == {"community", "compound", "grid"}


async def test_staff_on_compound_covers_its_grid_not_its_community(session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.compound, "staff"))
    assert await covered(session, tree, staff) == {"compound", "grid"}


async def test_grid_role_covers_only_the_grid(session):
    tree = await make_tree(session)
    worker = await make_user(session, role=(tree.grid, "staff"))
    assert await covered(session, tree, worker) == {"grid"}


async def test_alliance_admin_covers_the_whole_tree(session):
    tree = await make_tree(session)
    admin = await make_user(session, role=(tree.alliance, "admin"))
    assert await covered(session, tree, admin) == set(NAMES)


async def test_unit_admin_covers_the_unit_not_the_communities(session):
    tree = await make_tree(session)
    unit_admin = await make_user(session, role=(tree.unit, "admin"))
    assert await covered(session, tree, unit_admin) == {"unit"}


async def test_person_without_roles_covers_nothing(session):
    tree = await make_tree(session)
    resident = await make_user(session, home=tree.compound)
    assert await covered(session, tree, resident) == set()
    assert await has_any_staff_role(session, user_id=resident.id) is False


async def test_admin_only_checks_refuse_staff(session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    admin = await make_user(session, role=(tree.community, "admin"))
    assert await covered(session, tree, staff, roles=ADMIN_ONLY) == set()
    assert await covered(session, tree, admin, roles=ADMIN_ONLY) == {"community", "compound", "grid"}


async def test_require_role_over_raises_forbidden_outside_the_subtree(session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    await require_role_over(session, user_id=staff.id, org_id=tree.grid.id)
    with pytest.raises(Forbidden) as raised:
        await require_role_over(session, user_id=staff.id, org_id=tree.other_compound.id)
    assert raised.value.status == 403
    with pytest.raises(Forbidden):
        await require_role_over(session, user_id=staff.id, org_id=tree.grid.id, roles=ADMIN_ONLY)


async def test_roles_on_two_branches_cover_both(session):
    tree = await make_tree(session)
    user = await make_user(session, role=(tree.grid, "staff"))
    await orgs_service.grant_role(session, user_id=user.id, org_id=tree.other_community.id, role="admin")
    await session.commit()
    assert await covered(session, tree, user) == {"grid", "other_community", "other_compound"}
    assert await covered(session, tree, user, roles=ADMIN_ONLY) == {"other_community", "other_compound"}


async def test_a_node_whose_id_extends_anothers_is_not_its_subtree(session):
    # Paths end in "/", so a role on node 7001 never reaches node 70011 by string prefix.
    tree = await make_tree(session)
    near = Org(
        id=7001,
        name="七千零一社区",
        kind=OrgKind.community,
        parent_id=tree.alliance.id,
        path=f"{tree.alliance.path}7001/",
    )
    far = Org(
        id=70011,
        name="七万社区",
        kind=OrgKind.community,
        parent_id=tree.alliance.id,
        path=f"{tree.alliance.path}70011/",
    )
    session.add_all([near, far])
    await session.commit()
    staff = await make_user(session, role=(near, "staff"))
    assert await has_role_over(session, user_id=staff.id, org_id=near.id) is True
    assert await has_role_over(session, user_id=staff.id, org_id=far.id) is False
    ids = (await session.exec(select(Org.id).where(covered_by_role(staff.id, Org.id)))).all()
    assert ids == [7001]


async def test_covered_by_role_scopes_a_list_query_to_exactly_the_subtree(session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    rows = (
        await session.exec(select(Org.name).where(covered_by_role(staff.id, Org.id)).order_by(Org.id))
    ).all()
    assert rows == ["幸福社区", "幸福里小区", "第一网格"]


async def test_covered_by_role_scopes_people_by_their_home(session):
    tree = await make_tree(session)
    staff = await make_user(session, name="网格员", role=(tree.compound, "staff"))
    in_grid = await make_user(session, name="网格居民", home=tree.grid)
    in_compound = await make_user(session, name="小区居民", home=tree.compound)
    await make_user(session, name="社区居民", home=tree.community)
    await make_user(session, name="邻社区居民", home=tree.other_compound)
    await make_user(session, name="无家居民")
    ids = (
        await session.exec(
            select(User.id).where(covered_by_role(staff.id, User.home_org_id)).order_by(User.id)
        )
    ).all()
    assert ids == [in_grid.id, in_compound.id]


async def test_covered_by_role_with_admin_only_ignores_staff_roles(session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    rows = (await session.exec(select(Org.id).where(covered_by_role(staff.id, Org.id, ADMIN_ONLY)))).all()
    assert rows == []


async def test_is_alliance_admin_only_for_admins_on_the_alliance(session):
    tree = await make_tree(session)
    alliance_admin = await make_user(session, role=(tree.alliance, "admin"))
    alliance_staff = await make_user(session, role=(tree.alliance, "staff"))
    community_admin = await make_user(session, role=(tree.community, "admin"))
    unit_admin = await make_user(session, role=(tree.unit, "admin"))
    results = [
        await is_alliance_admin(session, user_id=u.id)
        for u in (alliance_admin, alliance_staff, community_admin, unit_admin)
    ]
    assert results == [True, False, False, False]
    with pytest.raises(Forbidden):
        await require_alliance_admin(session, user_id=community_admin.id)


async def test_has_any_staff_role_for_a_grid_worker(session):
    tree = await make_tree(session)
    worker = await make_user(session, role=(tree.grid, "staff"))
    assert await has_any_staff_role(session, user_id=worker.id) is True


async def test_has_role_over_is_one_query(session, db):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        assert await has_role_over(session, user_id=staff.id, org_id=tree.grid.id) is True
        assert await has_role_over(session, user_id=staff.id, org_id=tree.other_compound.id) is False
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2


# ---- the path helpers: the one place a path is read ----


async def test_path_helpers_read_ancestors_alliance_and_levels(session):
    tree = await make_tree(session)
    assert ancestor_ids(tree.grid) == [tree.alliance.id, tree.community.id, tree.compound.id, tree.grid.id]
    assert ancestor_ids(tree.grid.path) == ancestor_ids(tree.grid)
    assert {alliance_id(getattr(tree, name)) for name in NAMES} == {tree.alliance.id}
    assert ancestor_path(tree.grid, 1) == tree.alliance.path
    assert ancestor_path(tree.grid, 2) == tree.community.path
    assert ancestor_path(tree.community, 5) == tree.community.path
    assert is_within(tree.grid, tree.community) and is_within(tree.community, tree.community)
    assert not is_within(tree.other_compound, tree.community)


async def test_in_subtree_selects_the_subtree_by_path_or_by_id(session):
    tree = await make_tree(session)
    by_path = set((await session.exec(select(Org.name).where(in_subtree(Org.id, tree.community.path)))).all())
    assert by_path == {"幸福社区", "幸福里小区", "第一网格"}
    by_id = set(
        (await session.exec(select(Org.name).where(in_subtree(Org.id, path_of(tree.compound.id))))).all()
    )
    assert by_id == {"幸福里小区", "第一网格"}
    assert (await session.exec(select(Org.id).where(in_subtree(Org.id, path_of(999_999))))).all() == []


async def test_two_role_checks_in_one_statement_keep_apart(session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.compound, "staff"))
    admin = await make_user(session, role=(tree.other_community, "admin"))
    stmt = select(Org.name).where(
        covered_by_role(staff.id, Org.id) | covered_by_role(admin.id, Org.id, ADMIN_ONLY)
    )
    assert set((await session.exec(stmt)).all()) == {"幸福里小区", "第一网格", "和平社区", "和平新村"}


async def test_role_look_ups(session):
    tree = await make_tree(session)
    both = await make_user(session, role=(tree.compound, "staff"))
    await orgs_service.grant_role(session, user_id=both.id, org_id=tree.unit.id, role="admin")
    assert await role_holders(session, org_id=tree.compound.id) == [both.id]
    assert await holds_role_on(session, user_id=both.id, org_id=tree.unit.id)
    assert not await holds_role_on(
        session, user_id=both.id, org_id=tree.grid.id
    )  # covered, but not held there
    assert [r.org_id for r in await roles_of(session, user_id=both.id)] == sorted(
        [tree.compound.id, tree.unit.id]
    )
    assert [o.id for _, o in await roles_with_orgs(session, user_id=both.id)] == [
        tree.compound.id,
        tree.unit.id,
    ]
    admin_of = await orgs_with_role(session, user_id=both.id, roles=ADMIN_ONLY)
    assert [o.id for o in admin_of] == [tree.unit.id]
    assert [o.id for o in await orgs_with_role(session, user_id=both.id, kinds=(OrgKind.compound,))] == [
        tree.compound.id
    ]
