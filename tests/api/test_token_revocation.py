"""Tokens carry the person's token version: logout and "sign out everywhere" revoke them at once (issue 10, item 14)."""

from datetime import timedelta

from app import clock
from app.config import get_settings
from app.security import COOKIE_NAME, issue_access_token
from tests.api.test_auth import LOGIN, code_for
from tests.factories import auth, make_user, next_phone

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
    assert (await client.get(ME, headers=bearer(old))).status_code == 401
    current = issue_access_token(get_settings(), user.id, version=1)
    assert (await client.get(ME, headers=bearer(current))).status_code == 200


async def test_logout_revokes_only_that_person(client, session):
    me, other = await make_user(session), await make_user(session)
    mine, theirs = auth(me), auth(other)
    assert (await client.post("/api/v1/auth/logout", headers=mine)).status_code == 204
    assert (await client.get(ME, headers=mine)).status_code == 401
    assert (await client.get(ME, headers=theirs)).status_code == 200
