"""GET/PATCH /me: the person's own profile, as API.md lists its fields."""

import pytest

from tests.factories import auth, make_tree, make_user

FIELDS = {
    "id",
    "name",
    "phone",
    "home_org_id",
    "is_party_member",
    "member_type",
    "skills",
    "elderly_mode",
    "roles",
}


async def test_me_shows_every_contract_field_and_roles(client, session):
    tree = await make_tree(session)
    user = await make_user(
        session, name="李主任", home=tree.compound, party="in_service", role=(tree.community, "admin")
    )
    resp = await client.get("/api/v1/me", headers=auth(user))
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == FIELDS
    assert body == {
        "id": user.id,
        "name": "李主任",
        "phone": user.phone,
        "home_org_id": tree.compound.id,
        "is_party_member": True,
        "member_type": "in_service",
        "skills": [],
        "elderly_mode": False,
        "roles": [{"org_id": tree.community.id, "role": "admin"}],
    }


async def test_patch_changes_only_given_fields(client, session):
    tree = await make_tree(session)
    user = await make_user(session, name="张阿姨", home=tree.compound)
    resp = await client.patch(
        "/api/v1/me",
        json={"name": "张桂兰", "skills": [" 理发 ", "陪伴"], "elderly_mode": True},
        headers=auth(user),
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["name"], body["skills"], body["elderly_mode"], body["home_org_id"]) == (
        "张桂兰",
        ["理发", "陪伴"],
        True,
        tree.compound.id,
    )
    again = (await client.get("/api/v1/me", headers=auth(user))).json()
    assert again == body


async def test_patch_becomes_party_member_with_type(client, session):
    user = await make_user(session)
    resp = await client.patch(
        "/api/v1/me", json={"is_party_member": True, "member_type": "retired"}, headers=auth(user)
    )
    assert (resp.json()["is_party_member"], resp.json()["member_type"]) == (True, "retired")


async def test_leaving_party_clears_member_type(client, session):
    user = await make_user(session, party="mobile")
    resp = await client.patch("/api/v1/me", json={"is_party_member": False}, headers=auth(user))
    assert (resp.json()["is_party_member"], resp.json()["member_type"]) == (False, None)


@pytest.mark.parametrize("kind", ["compound", "community", "grid"])
async def test_home_org_may_be_a_place(client, session, kind):
    tree = await make_tree(session)
    user = await make_user(session)
    org = getattr(tree, kind)
    resp = await client.patch("/api/v1/me", json={"home_org_id": org.id}, headers=auth(user))
    assert resp.status_code == 200
    assert resp.json()["home_org_id"] == org.id


@pytest.mark.parametrize("which", ["unit", "alliance", "missing"])
async def test_home_org_that_is_not_a_place_is_422(client, session, which):
    tree = await make_tree(session)
    user = await make_user(session, home=tree.compound)
    org_id = 999_999 if which == "missing" else getattr(tree, which).id
    resp = await client.patch("/api/v1/me", json={"home_org_id": org_id}, headers=auth(user))
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "invalid_home_org"
    assert body["detail"] == "请选择所在的社区、小区或网格"
    assert (await client.get("/api/v1/me", headers=auth(user))).json()["home_org_id"] == tree.compound.id


async def test_invalid_fields_are_422_naming_each(client, session):
    user = await make_user(session)
    resp = await client.patch(
        "/api/v1/me",
        json={
            "name": "",
            "member_type": "astronaut",
            "skills": "理发",
            "elderly_mode": "maybe",
            "birth_year": 1800,
        },
        headers=auth(user),
    )
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "validation_error"
    assert body["title"] == "填写的内容有误"
    assert {e["field"] for e in body["errors"]} == {
        "name",
        "member_type",
        "skills",
        "elderly_mode",
        "birth_year",
    }
    assert all(e["message"] for e in body["errors"])


async def test_too_many_skills_is_422(client, session):
    user = await make_user(session)
    resp = await client.patch(
        "/api/v1/me", json={"skills": [f"特长{i}" for i in range(21)]}, headers=auth(user)
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "validation_error"
    assert [e["field"] for e in resp.json()["errors"]] == ["skills"]


async def test_phone_and_roles_cannot_be_set_through_me(client, session):
    tree = await make_tree(session)
    user = await make_user(session)
    resp = await client.patch(
        "/api/v1/me",
        json={"phone": "13911112222", "roles": [{"org_id": tree.alliance.id, "role": "admin"}]},
        headers=auth(user),
    )
    assert resp.status_code == 200
    assert (resp.json()["phone"], resp.json()["roles"]) == (user.phone, [])


async def test_patch_me_without_token_is_401(client):
    resp = await client.patch("/api/v1/me", json={"name": "谁"})
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"


# --- The /me and /admin pages (server side) ------------------------------------------------------------------


async def test_me_page_without_sign_in_redirects_to_login(client):
    resp = await client.get("/me")
    assert resp.status_code == 303
    assert resp.headers["location"] == "/login?next=/me"


async def test_me_page_accepts_the_bearer_token_too(client, session):
    tree = await make_tree(session)
    user = await make_user(session, name="褚老师", home=tree.compound, party="in_service")
    resp = await client.get("/me", headers=auth(user))
    assert resp.status_code == 200
    assert '<h1 class="app-profile__name">褚老师</h1>' in resp.text
    assert f"{user.phone[:3]}****{user.phone[-4:]}" in resp.text
    assert user.phone not in resp.text
    assert f'<option value="{tree.compound.id}" selected>幸福里小区</option>' in resp.text
    assert 'href="/report"' in resp.text
    assert 'aria-current="page"' in resp.text


async def test_me_page_in_large_text_mode_marks_the_html(client, session):
    user = await make_user(session)
    await client.patch("/api/v1/me", json={"elderly_mode": True}, headers=auth(user))
    resp = await client.get("/me", headers=auth(user))
    assert '<html lang="zh-CN" class="elderly">' in resp.text


async def test_me_page_lists_roles_and_the_console_entrance(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.compound, "staff"))
    resp = await client.get("/me", headers=auth(staff))
    assert "幸福里小区" in resp.text and "工作人员" in resp.text
    assert 'href="/admin"' in resp.text
    resident = await make_user(session)
    assert 'href="/admin"' not in (await client.get("/me", headers=auth(resident))).text


async def test_admin_console_is_a_403_page_for_residents(client, session):
    resident = await make_user(session)
    resp = await client.get("/admin", headers=auth(resident))
    assert resp.status_code == 403
    assert resp.headers["content-type"].startswith("text/html")
    assert "工作台仅对社区、小区工作人员开放" in resp.text


async def test_login_redirect_keeps_the_whole_query_of_the_page_asked_for(client):
    from urllib.parse import parse_qs, urlsplit

    resp = await client.get("/me?tab=roles&x=1")
    assert resp.status_code == 303
    location = urlsplit(resp.headers["location"])
    assert location.path == "/login"
    assert parse_qs(location.query) == {"next": ["/me?tab=roles&x=1"]}


async def test_patch_null_for_a_field_without_an_empty_state_is_422_and_changes_nothing(client, session):
    tree = await make_tree(session)
    user = await make_user(session, name="张阿姨", home=tree.compound)
    for field in ("skills", "name", "is_party_member", "elderly_mode"):
        resp = await client.patch(
            "/api/v1/me",
            json={field: None, "elderly_mode": True} if field != "elderly_mode" else {field: None},
            headers=auth(user),
        )
        assert resp.status_code == 422, field
        assert resp.json()["errors"] == [
            {"field": field, "code": "null_not_allowed", "message": "此项不能为空"}
        ]
    resp = await client.get("/api/v1/me", headers=auth(user))
    assert resp.status_code == 200
    assert (resp.json()["name"], resp.json()["skills"], resp.json()["elderly_mode"]) == ("张阿姨", [], False)


async def test_patch_null_clears_member_type(client, session):
    tree = await make_tree(session)
    user = await make_user(session, home=tree.compound, party="in_service")
    resp = await client.patch("/api/v1/me", json={"member_type": None}, headers=auth(user))
    assert resp.status_code == 200, resp.text
    assert (resp.json()["member_type"], resp.json()["home_org_id"]) == (None, tree.compound.id)


async def test_patch_home_beyond_any_id_is_422(client, session):
    tree = await make_tree(session)
    user = await make_user(session, home=tree.compound)
    resp = await client.patch("/api/v1/me", json={"home_org_id": 2**63}, headers=auth(user))
    assert resp.status_code == 422
    assert resp.json()["code"] == "validation_error"
    assert resp.json()["errors"][0]["field"] == "home_org_id"
