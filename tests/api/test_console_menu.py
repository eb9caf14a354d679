"""The staff console shows each role its own sections, and every section it shows opens (issue 14, item 5)."""

import re

import pytest

from tests.factories import auth, make_tree, make_user

SECTIONS = {
    "/admin/wishes",
    "/admin/reports",
    "/admin/events",
    "/admin/stations",
    "/timebank/rewards/manage",
    "/admin/activities",
    "/admin/resources",
    "/admin/stats",
}

# role on which node → the sections its console lists (each must then answer 200)
MENUS = [
    ("grid", "staff", SECTIONS - {"/admin/stations", "/admin/resources"}),
    ("compound", "staff", SECTIONS - {"/admin/stations", "/admin/resources"}),
    ("community", "staff", SECTIONS - {"/admin/stations", "/admin/resources"}),
    ("community", "admin", SECTIONS - {"/admin/resources"}),
    ("alliance", "admin", SECTIONS - {"/admin/resources"}),
    ("unit", "admin", {"/admin/reports", "/admin/activities", "/admin/resources", "/admin/stats"}),
    ("unit", "staff", {"/admin/reports", "/admin/activities", "/admin/resources", "/admin/stats"}),
]


@pytest.mark.parametrize(("node", "role", "expected"), MENUS, ids=[f"{n}-{r}" for n, r, _ in MENUS])
async def test_each_role_sees_its_sections_and_each_opens(client, session, node, role, expected):
    tree = await make_tree(session)
    person = await make_user(session, role=(getattr(tree, node), role))
    console = await client.get("/admin", headers=auth(person))
    assert console.status_code == 200, console.text
    shown = set(re.findall(r'<a class="weui-cell weui-cell_access" href="([^"]+)"', console.text)) & SECTIONS
    assert shown == expected
    for href in sorted(shown):
        page = await client.get(href, headers=auth(person))
        assert page.status_code == 200, (href, page.status_code)


async def test_a_unit_admin_is_not_offered_station_registration(client, session):
    tree = await make_tree(session)
    person = await make_user(session, role=(tree.unit, "admin"))
    page = await client.get("/admin/stations", headers=auth(person))
    assert page.status_code == 403
