"""The org tree and roles through the API: 401/403/404/409/422 as API.md says."""

from tests.factories import auth, make_tree, make_user


async def test_no_token_gets_401_problem(client):
    resp = await client.get("/api/v1/me")
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    assert body["code"] == "not_authenticated"
    assert body["status"] == 401
    assert body["title"] == "请先登录"


async def test_admin_of_parent_creates_child(client, session):
    tree = await make_tree(session)
    admin = await make_user(session, role=(tree.community, "admin"))
    resp = await client.post(
        "/api/v1/orgs",
        json={"name": "新小区", "kind": "compound", "parent_id": tree.community.id},
        headers=auth(admin),
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["parent_id"] == tree.community.id
    assert body["path"] == f"{tree.community.path}{body['id']}/"


async def test_staff_cannot_create_child_403(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    resp = await client.post(
        "/api/v1/orgs",
        json={"name": "新小区", "kind": "compound", "parent_id": tree.community.id},
        headers=auth(staff),
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"


async def test_wrong_kind_under_parent_is_422(client, session):
    tree = await make_tree(session)
    admin = await make_user(session, role=(tree.alliance, "admin"))
    resp = await client.post(
        "/api/v1/orgs",
        json={"name": "单位", "kind": "unit", "parent_id": tree.community.id},
        headers=auth(admin),
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid_org_kind"


async def test_bad_kind_is_validation_error_naming_the_field(client, session):
    tree = await make_tree(session)
    admin = await make_user(session, role=(tree.alliance, "admin"))
    resp = await client.post(
        "/api/v1/orgs",
        json={"name": "", "kind": "planet", "parent_id": tree.alliance.id},
        headers=auth(admin),
    )
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "validation_error"
    assert {e["field"] for e in body["errors"]} == {"name", "kind"}


async def test_unknown_org_is_404(client, session):
    user = await make_user(session)
    resp = await client.get("/api/v1/orgs/999999", headers=auth(user))
    assert resp.status_code == 404
    assert resp.json()["code"] == "org_not_found"


async def test_children_are_listed_with_cursor(client, session):
    tree = await make_tree(session)
    user = await make_user(session)
    resp = await client.get(f"/api/v1/orgs/{tree.alliance.id}/children?limit=2", headers=auth(user))
    assert resp.status_code == 200
    first = resp.json()
    assert [o["name"] for o in first["items"]] == ["幸福社区", "和平社区"]
    resp = await client.get(
        f"/api/v1/orgs/{tree.alliance.id}/children?limit=2&cursor={first['next_cursor']}", headers=auth(user)
    )
    assert [o["name"] for o in resp.json()["items"]] == ["县医院"]
    assert resp.json()["next_cursor"] is None


async def test_assign_role_creates_user_and_is_audited(client, session):
    from sqlmodel import select

    from app.models.audit import AuditLog

    tree = await make_tree(session)
    admin = await make_user(session, role=(tree.community, "admin"))
    resp = await client.post(
        f"/api/v1/orgs/{tree.compound.id}/roles",
        json={"phone": "13912345678", "role": "staff"},
        headers=auth(admin),
    )
    assert resp.status_code == 201, resp.text
    new_id = resp.json()["user_id"]
    logs = (await session.exec(select(AuditLog).where(AuditLog.action == "role.assign"))).all()
    assert [(log.actor_id, log.object_id, log.org_id) for log in logs] == [
        (admin.id, new_id, tree.compound.id)
    ]


async def test_remove_role_then_again_is_404(client, session):
    tree = await make_tree(session)
    admin = await make_user(session, role=(tree.community, "admin"))
    staff = await make_user(session, role=(tree.compound, "staff"))
    url = f"/api/v1/orgs/{tree.compound.id}/roles/{staff.id}"
    assert (await client.delete(url, headers=auth(admin))).status_code == 204
    again = await client.delete(url, headers=auth(admin))
    assert again.status_code == 404
    assert again.json()["code"] == "role_not_found"


async def test_admin_cannot_remove_own_role_409(client, session):
    tree = await make_tree(session)
    admin = await make_user(session, role=(tree.community, "admin"))
    resp = await client.delete(f"/api/v1/orgs/{tree.community.id}/roles/{admin.id}", headers=auth(admin))
    assert resp.status_code == 409
    assert resp.json()["code"] == "cannot_remove_own_role"


async def test_alliance_admin_assigns_unit_to_community(client, session):
    tree = await make_tree(session)
    admin = await make_user(session, role=(tree.alliance, "admin"))
    resp = await client.post(
        f"/api/v1/orgs/{tree.unit.id}/communities",
        json={"community_id": tree.community.id},
        headers=auth(admin),
    )
    assert resp.status_code == 201
    assert resp.json() == {"unit_id": tree.unit.id, "community_id": tree.community.id}


async def test_unit_admin_cannot_assign_own_unit(client, session):
    tree = await make_tree(session)
    unit_admin = await make_user(session, role=(tree.unit, "admin"))
    resp = await client.post(
        f"/api/v1/orgs/{tree.unit.id}/communities",
        json={"community_id": tree.community.id},
        headers=auth(unit_admin),
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"


async def test_whitespace_only_name_is_422(client, session):
    tree = await make_tree(session)
    admin = await make_user(session, role=(tree.alliance, "admin"))
    resp = await client.post(
        "/api/v1/orgs",
        json={"name": "   ", "kind": "community", "parent_id": tree.alliance.id},
        headers=auth(admin),
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "validation_error"
    assert [e["field"] for e in resp.json()["errors"]] == ["name"]
    me = await client.patch("/api/v1/me", json={"name": " \t "}, headers=auth(admin))
    assert me.status_code == 422
    assert me.json()["code"] == "validation_error"
    trimmed = await client.post(
        "/api/v1/orgs",
        json={"name": " 新社区 ", "kind": "community", "parent_id": tree.alliance.id},
        headers=auth(admin),
    )
    assert trimmed.json()["name"] == "新社区"
