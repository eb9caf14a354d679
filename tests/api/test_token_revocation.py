"""Tokens carry the person's token version: logout and "sign out everywhere" revoke them at once (issue 10, item 14)."""

from datetime import timedelta

from app import clock
from app.config import get_settings
from app.models.user import User
from app.security import COOKIE_NAME, issue_access_token
from tests.api.test_auth import LOGIN, code_for
from tests.factories import auth, make_user, next_phone, problem_code

ME = "/api/v1/me"


async def _login(client) -> str:
    phone = next_phone()
    resp = await client.post(LOGIN, json={"phone": phone, "code": await code_for(client, phone)})
    assert resp.status_code == 200
    return resp.json()["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_token_still_works_until_logout_then_is_refused(client):
    token = await _login(client)
    client.cookies.clear()
    assert (await client.get(ME, headers=bearer(token))).status_code == 200
    resp = await client.post("/api/v1/auth/logout", headers=bearer(token))
    assert resp.status_code == 204
    after = await client.get(ME, headers=bearer(token))
    assert after.status_code == 401
    assert after.json()["code"] == "not_authenticated"


async def test_logout_with_the_cookie_revokes_the_cookie_token_too(client):
    token = await _login(client)
    assert client.cookies.get(COOKIE_NAME) == token
    assert (await client.post("/api/v1/auth/logout")).status_code == 204
    client.cookies.set(COOKIE_NAME, token)  # a copy kept by whoever stole it
    resp = await client.get(ME)
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"


async def test_sign_out_everywhere_revokes_every_token_and_a_new_login_works(client):
    phone = next_phone()
    first = (await client.post(LOGIN, json={"phone": phone, "code": await code_for(client, phone)})).json()
    client.cookies.clear()
    clock.travel(timedelta(seconds=61))  # past the one-code-a-minute limit
    second = (await client.post(LOGIN, json={"phone": phone, "code": await code_for(client, phone)})).json()
    client.cookies.clear()
    tokens = [first["access_token"], second["access_token"]]
    for token in tokens:
        assert (await client.get(ME, headers=bearer(token))).status_code == 200
    resp = await client.post("/api/v1/auth/logout-everywhere", headers=bearer(tokens[0]))
    assert resp.status_code == 204
    for token in tokens:
        refused = await client.get(ME, headers=bearer(token))
        assert refused.status_code == 401
        assert refused.json()["code"] == "not_authenticated"
    clock.travel(timedelta(seconds=61))
    fresh = (await client.post(LOGIN, json={"phone": phone, "code": await code_for(client, phone)})).json()
    client.cookies.clear()
    assert (await client.get(ME, headers=bearer(fresh["access_token"]))).json()["phone"] == phone


async def test_sign_out_everywhere_needs_a_signed_in_person(client):
    resp = await client.post("/api/v1/auth/logout-everywhere")
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"


async def test_a_token_naming_an_older_version_is_refused(client, session):
    user = await make_user(session)
    assert (await client.get(ME, headers=auth(user))).status_code == 200
    await client.post("/api/v1/auth/logout-everywhere", headers=auth(user))
    old = issue_access_token(get_settings(), user.id, version=0)
    assert problem_code(await client.get(ME, headers=bearer(old)), 401) == "not_authenticated"
    current = issue_access_token(get_settings(), user.id, version=1)
    assert (await client.get(ME, headers=bearer(current))).status_code == 200


async def test_logout_revokes_only_that_person(client, session):
    me, other = await make_user(session), await make_user(session)
    mine, theirs = auth(me), auth(other)
    assert (await client.post("/api/v1/auth/logout", headers=mine)).status_code == 204
    assert problem_code(await client.get(ME, headers=mine), 401) == "not_authenticated"
    assert (await client.get(ME, headers=theirs)).status_code == 200


async def test_a_phone_change_revokes_every_older_token_and_frees_the_old_number(client, session):
    from sqlmodel import select

    from app.models.audit import AuditLog

    phone = next_phone()
    old_token = (
        await client.post(LOGIN, json={"phone": phone, "code": await code_for(client, phone)})
    ).json()["access_token"]
    client.cookies.clear()
    new_phone = next_phone()
    wrong = await client.post(
        "/api/v1/auth/change-phone", json={"phone": new_phone, "code": "000000"}, headers=bearer(old_token)
    )
    assert problem_code(wrong, 400) == "invalid_code"
    assert (await client.get(ME, headers=bearer(old_token))).status_code == 200
    code = await code_for(client, new_phone)
    resp = await client.post(
        "/api/v1/auth/change-phone", json={"phone": new_phone, "code": code}, headers=bearer(old_token)
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["user"]["phone"] == new_phone
    assert problem_code(await client.get(ME, headers=bearer(old_token)), 401) == "not_authenticated"
    client.cookies.clear()
    assert (await client.get(ME, headers=bearer(resp.json()["access_token"]))).json()["phone"] == new_phone
    log = (await session.exec(select(AuditLog).where(AuditLog.action == "user.change_phone"))).one()
    assert new_phone not in str(log.detail) and "*" in log.detail["to"]


async def test_a_phone_in_use_by_another_account_is_409(client, session):
    user = await make_user(session)
    other = await make_user(session)
    resp = await client.post(
        "/api/v1/auth/change-phone", json={"phone": other.phone, "code": "123456"}, headers=auth(user)
    )
    assert (resp.status_code, resp.json()["code"]) == (409, "phone_taken")


async def test_an_admins_block_revokes_at_once_and_refuses_sign_in_until_lifted(client, session):
    from tests.factories import make_tree

    tree = await make_tree(session)
    admin = await make_user(session, role=(tree.community, "admin"))
    staff = await make_user(session, role=(tree.community, "staff"))
    phone = next_phone()
    token = (await client.post(LOGIN, json={"phone": phone, "code": await code_for(client, phone)})).json()[
        "access_token"
    ]
    client.cookies.clear()
    me = (await client.get(ME, headers=bearer(token))).json()
    person = await session.get(User, me["id"])
    person.home_org_id = tree.compound.id
    session.add(person)
    await session.commit()
    assert (
        problem_code(
            await client.post(
                f"/api/v1/users/{me['id']}/block", json={"reason": "发广告"}, headers=auth(staff)
            ),
            403,
        )
        == "forbidden"
    )
    blocked = await client.post(
        f"/api/v1/users/{me['id']}/block", json={"reason": "发广告"}, headers=auth(admin)
    )
    assert blocked.status_code == 204
    assert problem_code(await client.get(ME, headers=bearer(token)), 401) == "not_authenticated"
    clock.travel(timedelta(seconds=61))
    refused = await client.post(LOGIN, json={"phone": phone, "code": await code_for(client, phone)})
    assert (refused.status_code, refused.json()["code"]) == (403, "account_blocked")
    assert (await client.delete(f"/api/v1/users/{me['id']}/block", headers=auth(admin))).status_code == 204
    clock.travel(timedelta(seconds=61))
    again = await client.post(LOGIN, json={"phone": phone, "code": await code_for(client, phone)})
    assert again.status_code == 200


async def test_nobody_outside_the_persons_node_may_block_them(client, session):
    from tests.factories import make_tree

    tree = await make_tree(session)
    person = await make_user(session, home=tree.compound)
    for actor in (
        await make_user(session, role=(tree.other_community, "admin")),
        await make_user(session, home=tree.compound),
    ):
        resp = await client.post(
            f"/api/v1/users/{person.id}/block", json={"reason": "试试"}, headers=auth(actor)
        )
        assert resp.status_code == 404
        assert resp.json()["code"] == "user_not_found"
    self_block = await client.post(
        f"/api/v1/users/{person.id}/block", json={"reason": "试试"}, headers=auth(person)
    )
    assert self_block.status_code == 404
    assert self_block.json()["code"] == "user_not_found"
    await session.refresh(person)
    assert person.blocked_at is None
