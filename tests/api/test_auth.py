"""SMS sign-in through the API: codes, their limits, tokens and the session cookie."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from app import clock
from app.config import get_settings
from app.deps import get_app_settings
from app.models.auth import SmsCode
from app.models.user import User
from app.routers.auth import sms_sender
from app.security import COOKIE_NAME, issue_access_token, read_payload
from app.services.sms import ConsoleSms, UnconfiguredSms, get_sender
from tests.factories import make_user, next_phone, problem_code
from tests.fakes.wechat import FakeWeChat

SMS = "/api/v1/auth/sms-code"
LOGIN = "/api/v1/auth/login"


async def send(client, phone: str):
    return await client.post(SMS, json={"phone": phone})


async def code_for(client, phone: str) -> str:
    resp = await send(client, phone)
    assert resp.status_code == 200, resp.text
    return resp.json()["debug_code"]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def use_settings(app, **changes):
    settings = get_settings().model_copy(update=changes)
    app.dependency_overrides[get_app_settings] = lambda: settings
    return settings


async def test_code_is_six_digits_and_console_backend_shows_it(client):
    resp = await send(client, next_phone())
    assert resp.status_code == 200
    body = resp.json()
    assert re.fullmatch(r"\d{6}", body["debug_code"])
    assert body["sent"] is True
    assert body["expires_in"] == 300


async def test_code_is_stored_only_as_a_hash(client, session):
    phone = next_phone()
    code = await code_for(client, phone)
    rows = (await session.exec(select(SmsCode).where(SmsCode.phone == phone))).all()
    assert len(rows) == 1
    stored = [str(v) for v in rows[0].model_dump().values()]
    assert all(code not in value for value in stored)
    assert len(rows[0].code_hash) == 64


async def test_first_login_creates_user_and_returns_token(client, session):
    phone = next_phone()
    code = await code_for(client, phone)
    resp = await client.post(LOGIN, json={"phone": phone, "code": code})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"access_token", "token_type", "user"}
    assert body["token_type"] == "bearer"
    user = (await session.exec(select(User).where(User.phone == phone))).one()
    assert body["user"]["id"] == user.id
    assert body["user"]["phone"] == phone
    assert body["user"]["name"] == f"用户{phone[-4:]}"
    assert body["user"]["roles"] == []


async def test_second_login_signs_in_the_same_user(client):
    phone = next_phone()
    first = await client.post(LOGIN, json={"phone": phone, "code": await code_for(client, phone)})
    clock.travel(timedelta(seconds=61))
    second = await client.post(LOGIN, json={"phone": phone, "code": await code_for(client, phone)})
    assert second.json()["user"]["id"] == first.json()["user"]["id"]


async def test_login_sets_httponly_samesite_session_cookie(client):
    phone = next_phone()
    resp = await client.post(LOGIN, json={"phone": phone, "code": await code_for(client, phone)})
    cookie = resp.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}={resp.json()['access_token']};")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie


async def test_cookie_alone_authenticates_me(client):
    phone = next_phone()
    await client.post(LOGIN, json={"phone": phone, "code": await code_for(client, phone)})
    assert client.cookies.get(COOKIE_NAME)
    resp = await client.get("/api/v1/me")
    assert resp.status_code == 200
    assert resp.json()["phone"] == phone


async def test_bearer_alone_authenticates_me(client):
    phone = next_phone()
    token = (await client.post(LOGIN, json={"phone": phone, "code": await code_for(client, phone)})).json()[
        "access_token"
    ]
    client.cookies.clear()
    resp = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200
    assert resp.json()["phone"] == phone


async def test_tampered_token_is_401(client):
    phone = next_phone()
    token = (await client.post(LOGIN, json={"phone": phone, "code": await code_for(client, phone)})).json()[
        "access_token"
    ]
    client.cookies.clear()
    head, _, sig = token.rpartition(".")
    tampered = f"{head}.{'A' if sig[0] != 'A' else 'B'}{sig[1:]}"
    resp = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {tampered}"})
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"


async def test_logout_clears_the_cookie(client):
    phone = next_phone()
    await client.post(LOGIN, json={"phone": phone, "code": await code_for(client, phone)})
    resp = await client.post("/api/v1/auth/logout")
    assert resp.status_code == 204
    assert client.cookies.get(COOKIE_NAME) is None
    assert problem_code(await client.get("/api/v1/me"), 401) == "not_authenticated"


async def test_wrong_code_is_400_invalid_code(client):
    phone = next_phone()
    code = await code_for(client, phone)
    resp = await client.post(LOGIN, json={"phone": phone, "code": wrong(code)})
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == "invalid_code"
    assert body["detail"] == "验证码错误或已过期，请重新获取"


async def test_login_without_any_code_is_400_invalid_code(client):
    resp = await client.post(LOGIN, json={"phone": next_phone(), "code": "123456"})
    assert resp.status_code == 400
    assert resp.json()["code"] == "invalid_code"


async def test_code_works_until_five_minutes_then_expires(client):
    phone = next_phone()
    code = await code_for(client, phone)
    clock.travel(timedelta(seconds=301))
    resp = await client.post(LOGIN, json={"phone": phone, "code": code})
    assert resp.status_code == 400
    assert resp.json()["code"] == "invalid_code"


async def test_code_just_inside_five_minutes_still_works(client):
    phone = next_phone()
    code = await code_for(client, phone)
    clock.travel(timedelta(seconds=299))
    assert (await client.post(LOGIN, json={"phone": phone, "code": code})).status_code == 200


async def test_code_is_single_use(client):
    phone = next_phone()
    code = await code_for(client, phone)
    assert (await client.post(LOGIN, json={"phone": phone, "code": code})).status_code == 200
    again = await client.post(LOGIN, json={"phone": phone, "code": code})
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_code"


async def test_fifth_wrong_try_is_429_and_the_right_code_is_then_refused(client):
    phone = next_phone()
    code = await code_for(client, phone)
    statuses = []
    for _ in range(5):
        resp = await client.post(LOGIN, json={"phone": phone, "code": wrong(code)})
        statuses.append((resp.status_code, resp.json()["code"]))
    assert statuses == [(400, "invalid_code")] * 4 + [(429, "too_many_attempts")]
    resp = await client.post(LOGIN, json={"phone": phone, "code": code})
    assert resp.status_code == 429
    assert resp.json()["code"] == "too_many_attempts"


async def test_four_wrong_tries_then_the_right_code_signs_in(client):
    phone = next_phone()
    code = await code_for(client, phone)
    for _ in range(4):
        await client.post(LOGIN, json={"phone": phone, "code": wrong(code)})
    assert (await client.post(LOGIN, json={"phone": phone, "code": code})).status_code == 200


async def test_a_new_code_after_too_many_tries_works(client):
    phone = next_phone()
    code = await code_for(client, phone)
    for _ in range(5):
        await client.post(LOGIN, json={"phone": phone, "code": wrong(code)})
    clock.travel(timedelta(seconds=61))
    fresh = await code_for(client, phone)
    assert (await client.post(LOGIN, json={"phone": phone, "code": fresh})).status_code == 200


async def test_second_code_within_a_minute_is_429_sms_too_frequent(client):
    phone = next_phone()
    await code_for(client, phone)
    clock.travel(timedelta(seconds=59))
    resp = await send(client, phone)
    assert resp.status_code == 429
    assert resp.json()["code"] == "sms_too_frequent"
    assert resp.headers["retry-after"] == "60"
    clock.travel(timedelta(seconds=2))
    assert (await send(client, phone)).status_code == 200


async def test_eleventh_code_in_a_day_is_429_sms_daily_limit(client):
    phone = next_phone()
    for _ in range(10):
        await code_for(client, phone)
        clock.travel(timedelta(seconds=61))
    resp = await send(client, phone)
    assert resp.status_code == 429
    assert resp.json()["code"] == "sms_daily_limit"
    clock.travel(timedelta(days=1))
    assert (await send(client, phone)).status_code == 200


async def test_per_ip_limit_from_settings_is_429_sms_ip_limit(app, client):
    use_settings(app, otp_per_ip_per_minute=3)
    for _ in range(3):
        assert (await send(client, next_phone())).status_code == 200
    resp = await send(client, next_phone())
    assert resp.status_code == 429
    assert resp.json()["code"] == "sms_ip_limit"
    clock.travel(timedelta(seconds=61))
    assert (await send(client, next_phone())).status_code == 200


async def test_per_ip_limit_defaults_to_sixty():
    assert get_settings().otp_per_ip_per_minute == 60


class RecordingSms:
    shows_code = False

    def __init__(self):
        self.sent = []

    async def send_code(self, phone: str, code: str) -> None:
        self.sent.append((phone, code))


async def test_real_backend_sends_the_code_and_never_returns_it(app, client):
    sender = RecordingSms()
    app.dependency_overrides[sms_sender] = lambda: sender
    phone = next_phone()
    resp = await send(client, phone)
    assert resp.status_code == 200
    assert "debug_code" not in resp.json()
    assert [p for p, _ in sender.sent] == [phone]
    assert (await client.post(LOGIN, json={"phone": phone, "code": sender.sent[0][1]})).status_code == 200


@pytest.mark.parametrize(
    ("backend", "env", "shows"),
    [
        ("console", "dev", True),
        ("console", "test", True),
        ("console", "prod", False),
        ("aliyun", "test", False),
    ],
)
def test_console_backend_only_outside_production(backend, env, shows):
    settings = get_settings().model_copy(update={"sms_backend": backend, "env": env})
    sender = get_sender(settings)
    assert sender.shows_code is shows
    assert isinstance(sender, ConsoleSms if shows else UnconfiguredSms)


async def test_unconfigured_provider_is_503_and_keeps_no_code(app, client, session):
    use_settings(app, sms_backend="aliyun")
    phone = next_phone()
    resp = await send(client, phone)
    assert resp.status_code == 503
    assert resp.json()["code"] == "sms_unavailable"
    assert (await session.exec(select(SmsCode).where(SmsCode.phone == phone))).all() == []


@pytest.mark.parametrize(("body", "fields"), [({"phone": "12345678901"}, {"phone"}), ({}, {"phone"})])
async def test_malformed_phone_is_422_naming_the_field(client, body, fields):
    resp = await client.post(SMS, json=body)
    assert resp.status_code == 422
    assert {e["field"] for e in resp.json()["errors"]} == fields


async def test_malformed_login_is_422_naming_each_field(client):
    resp = await client.post(LOGIN, json={"phone": "1380000", "code": "12ab"})
    assert resp.status_code == 422
    errors = {e["field"]: e["message"] for e in resp.json()["errors"]}
    assert errors == {"phone": "请输入正确的11位手机号", "code": "请输入6位验证码"}


# --- WeChat web OAuth (snsapi_base) against a fake WeChat server on loopback -------------------------------

PUBLIC = "https://ejia.example.cn"


@pytest.fixture(scope="module")
def fake_wechat():
    with FakeWeChat(app_id="wx-ejia-test", secret="wx-secret") as fake:
        yield fake


@pytest.fixture
def wechat(app, fake_wechat):
    """The app pointed at the fake WeChat server."""
    use_settings(
        app,
        wechat_api_base=fake_wechat.base_url,
        wechat_app_id=fake_wechat.app_id,
        wechat_app_secret=fake_wechat.secret,
        public_base_url=PUBLIC,
    )
    return fake_wechat


async def authorize(client, next_url: str = "/wishes") -> str:
    """Start the OAuth dance; the state WeChat would hand back."""
    resp = await client.get("/api/v1/auth/wechat/authorize", params={"next": next_url})
    assert resp.status_code == 302
    query = parse_qs(urlsplit(resp.headers["location"]).query)
    return query["state"][0]


async def wechat_visit(client, wechat, openid: str, next_url: str = "/wishes"):
    state = await authorize(client, next_url)
    return await client.get(
        "/api/v1/auth/wechat/callback", params={"code": wechat.issue_code(openid), "state": state}
    )


async def test_authorize_redirects_to_wechat_with_signed_state_cookie(client, wechat):
    resp = await client.get("/api/v1/auth/wechat/authorize", params={"next": "/wishes?mine=true"})
    assert resp.status_code == 302
    url = urlsplit(resp.headers["location"])
    assert (url.scheme, url.netloc, url.path, url.fragment) == (
        "https",
        "open.weixin.qq.com",
        "/connect/oauth2/authorize",
        "wechat_redirect",
    )
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["appid"] == "wx-ejia-test"
    assert query["redirect_uri"] == f"{PUBLIC}/api/v1/auth/wechat/callback"
    assert query["response_type"] == "code"
    assert query["scope"] == "snsapi_base"
    assert len(query["state"]) >= 16
    cookie = resp.headers["set-cookie"]
    assert cookie.startswith("ejia_oauth=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    saved = read_payload(get_settings(), "wechat-state", client.cookies["ejia_oauth"], max_age=600)
    assert saved == {"s": query["state"], "next": "/wishes?mine=true"}


async def test_authorize_refuses_an_offsite_next(client, wechat):
    await authorize(client, "https://evil.example.com/")
    saved = read_payload(get_settings(), "wechat-state", client.cookies["ejia_oauth"], max_age=600)
    assert saved["next"] == "/"


async def test_callback_with_forged_state_is_400(client, wechat):
    await authorize(client)
    resp = await client.get(
        "/api/v1/auth/wechat/callback",
        params={"code": wechat.issue_code("o-forged"), "state": "forged-state"},
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "invalid_oauth_state"


async def test_callback_without_the_state_cookie_is_400(client, wechat):
    state = await authorize(client)
    client.cookies.clear()
    resp = await client.get(
        "/api/v1/auth/wechat/callback", params={"code": wechat.issue_code("o-1"), "state": state}
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "invalid_oauth_state"


async def test_callback_with_unsigned_state_cookie_is_400(client, wechat):
    client.cookies.set("ejia_oauth", "eyJzIjoiYWJjIiwibmV4dCI6Ii8ifQ.bogus.sig")
    resp = await client.get(
        "/api/v1/auth/wechat/callback", params={"code": wechat.issue_code("o-1"), "state": "abc"}
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "invalid_oauth_state"


async def test_state_is_single_use(client, wechat, session):
    await make_user(session, phone=next_phone())
    state = await authorize(client)
    first = await client.get(
        "/api/v1/auth/wechat/callback", params={"code": wechat.issue_code("o-once"), "state": state}
    )
    assert first.status_code == 302
    replay = await client.get(
        "/api/v1/auth/wechat/callback", params={"code": wechat.issue_code("o-once"), "state": state}
    )
    assert replay.status_code == 400
    assert replay.json()["code"] == "invalid_oauth_state"


async def test_a_replayed_state_with_its_saved_cookie_is_refused_by_the_server(client, wechat, session):
    await make_user(session, phone=next_phone())
    state = await authorize(client)
    cookie = client.cookies["ejia_oauth"]  # an attacker keeps the signed cookie as well as the state
    first = await client.get(
        "/api/v1/auth/wechat/callback", params={"code": wechat.issue_code("o-twice"), "state": state}
    )
    assert first.status_code == 302
    client.cookies.set("ejia_oauth", cookie)
    replay = await client.get(
        "/api/v1/auth/wechat/callback", params={"code": wechat.issue_code("o-twice"), "state": state}
    )
    assert replay.status_code == 400
    assert replay.json()["code"] == "invalid_oauth_state"


@pytest.mark.parametrize("path", ["/api/v1/auth/wechat/authorize", "/api/v1/auth/wechat/callback"])
async def test_without_a_wechat_app_sign_in_is_503_wechat_unavailable(app, client, path):
    use_settings(app, wechat_app_id="", wechat_app_secret="")
    resp = await client.get(path, params={"code": "c", "state": "s"})
    assert resp.status_code == 503
    assert resp.json()["code"] == "wechat_unavailable"
    assert "location" not in resp.headers


async def test_invalid_code_is_400_wechat_auth_failed(client, wechat):
    state = await authorize(client)
    resp = await client.get("/api/v1/auth/wechat/callback", params={"code": "not-a-code", "state": state})
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == "wechat_auth_failed"
    assert body["title"] == "微信授权失败"
    assert wechat.requests[-1] == {
        "appid": "wx-ejia-test",
        "secret": "wx-secret",
        "code": "not-a-code",
        "grant_type": "authorization_code",
    }


async def test_unreachable_wechat_is_400_wechat_auth_failed(app, client, wechat):
    use_settings(
        app,
        wechat_api_base="http://127.0.0.1:9",
        wechat_app_id=wechat.app_id,
        wechat_app_secret=wechat.secret,
        public_base_url=PUBLIC,
    )
    state = await authorize(client)
    resp = await client.get("/api/v1/auth/wechat/callback", params={"code": "any", "state": state})
    assert resp.status_code == 400
    assert resp.json()["code"] == "wechat_auth_failed"


async def test_known_openid_signs_straight_in(client, wechat, session):
    user = await make_user(session, name="钱大爷")
    user.wechat_openid = "o-known"
    session.add(user)
    await session.commit()
    resp = await wechat_visit(client, wechat, "o-known", "/wishes?mine=true")
    assert resp.status_code == 302
    assert resp.headers["location"] == "/wishes?mine=true"
    me = await client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["id"] == user.id


async def test_unknown_openid_asks_for_phone_then_binds_it(client, wechat, session):
    resp = await wechat_visit(client, wechat, "o-new", "/wishes?mine=true&status=claimed")
    assert resp.status_code == 302
    location = urlsplit(resp.headers["location"])
    assert location.path == "/login"
    assert parse_qs(location.query) == {"bind": ["1"], "next": ["/wishes?mine=true&status=claimed"]}
    assert client.cookies.get(COOKIE_NAME) is None
    assert problem_code(await client.get("/api/v1/me"), 401) == "not_authenticated"

    phone = next_phone()
    login = await client.post(LOGIN, json={"phone": phone, "code": await code_for(client, phone)})
    assert login.status_code == 200
    user = (await session.exec(select(User).where(User.phone == phone))).one()
    await session.refresh(user)
    assert user.wechat_openid == "o-new"
    assert client.cookies.get("ejia_wechat_bind") is None

    client.cookies.clear()
    again = await wechat_visit(client, wechat, "o-new")
    assert again.status_code == 302
    assert again.headers["location"] == "/wishes"
    assert (await client.get("/api/v1/me")).json()["id"] == user.id


async def test_signed_in_user_visiting_by_wechat_binds_directly(client, wechat, session):
    user = await make_user(session, name="蒋志愿者")
    client.cookies.set(COOKIE_NAME, issue_access_token(get_settings(), user.id))
    resp = await wechat_visit(client, wechat, "o-direct")
    assert resp.status_code == 302
    assert resp.headers["location"] == "/wishes"
    await session.refresh(user)
    assert user.wechat_openid == "o-direct"
    client.cookies.clear()
    assert (await wechat_visit(client, wechat, "o-direct")).status_code == 302
    assert (await client.get("/api/v1/me")).json()["id"] == user.id


async def test_a_forged_bind_cookie_binds_nothing(client, session):
    phone = next_phone()
    client.cookies.set("ejia_wechat_bind", "forged")
    assert (
        await client.post(LOGIN, json={"phone": phone, "code": await code_for(client, phone)})
    ).status_code == 200
    user = (await session.exec(select(User).where(User.phone == phone))).one()
    assert user.wechat_openid is None


# --- The login page (server side; the journey itself is in tests/pages/test_login.py) ------------------------

WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"
)


async def test_login_page_keeps_a_same_site_next(client):
    resp = await client.get("/login", params={"next": "/wishes?mine=true"})
    assert resp.status_code == 200
    assert 'data-next="/wishes?mine=true"' in resp.text


@pytest.mark.parametrize(
    "target", ["//evil.example.com/x", "https://evil.example.com/", "/\\evil.example.com"]
)
async def test_login_page_drops_an_offsite_next(client, target):
    resp = await client.get("/login", params={"next": target})
    assert 'data-next="/"' in resp.text


async def test_login_page_offers_wechat_only_inside_wechat(client, wechat):
    plain = await client.get("/login", params={"next": "/me"})
    assert "微信一键登录" not in plain.text
    inside = await client.get("/login", params={"next": "/me"}, headers={"User-Agent": WECHAT_UA})
    assert 'href="/api/v1/auth/wechat/authorize?next=/me"' in inside.text
    assert "微信一键登录" in inside.text


async def test_login_page_hides_wechat_when_no_wechat_app_is_configured(app, client):
    use_settings(app, wechat_app_id="", wechat_app_secret="")
    inside = await client.get("/login", params={"next": "/me"}, headers={"User-Agent": WECHAT_UA})
    assert inside.status_code == 200
    assert "微信一键登录" not in inside.text
    assert "/api/v1/auth/wechat/authorize" not in inside.text


async def test_login_page_for_a_wechat_newcomer_asks_to_bind_the_phone(client):
    resp = await client.get("/login", params={"bind": 1, "next": "/"})
    assert "首次使用微信登录，请绑定您的手机号" in resp.text


async def test_signed_in_person_opening_login_goes_to_next(client, session):
    user = await make_user(session)
    client.cookies.set(COOKIE_NAME, issue_access_token(get_settings(), user.id))
    resp = await client.get("/login", params={"next": "/me"})
    assert resp.status_code == 303
    assert resp.headers["location"] == "/me"
