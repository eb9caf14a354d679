"""Cross-cutting security rules: cross-site writes with the session cookie, cross-alliance reach,
privacy of phones and logs."""

from datetime import timedelta

import pytest

from app import clock
from app.config import get_settings
from app.security import COOKIE_NAME, issue_access_token
from tests.factories import auth, make_tree, make_user, problem_code

READ_ALL = "/api/v1/notifications/read-all"


def _sign_in_by_cookie(client, user) -> None:
    client.cookies.set(COOKIE_NAME, issue_access_token(get_settings(), user.id))


# --- CSRF: a write carrying only the session cookie must come from our own pages ------------------


async def test_cookie_write_from_another_site_is_403(client, session):
    user = await make_user(session)
    _sign_in_by_cookie(client, user)
    resp = await client.post(READ_ALL, headers={"Origin": "https://evil.example.com"})
    assert resp.status_code == 403
    assert resp.json()["code"] == "cross_site_request"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
async def test_cookie_write_as_a_plain_form_without_origin_is_403(client, session, content_type):
    user = await make_user(session)
    _sign_in_by_cookie(client, user)
    resp = await client.post(READ_ALL, content=b'{"x": 1}', headers={"Content-Type": content_type})
    assert resp.status_code == 403
    assert resp.json()["code"] == "cross_site_request"


async def test_cookie_write_from_another_sites_referer_is_403(client, session):
    user = await make_user(session)
    _sign_in_by_cookie(client, user)
    resp = await client.post(READ_ALL, headers={"Referer": "https://evil.example.com/page"})
    assert resp.status_code == 403
    assert resp.json()["code"] == "cross_site_request"


async def test_cookie_write_from_an_opaque_origin_is_403(client, session):
    user = await make_user(session)
    _sign_in_by_cookie(client, user)
    resp = await client.post(READ_ALL, headers={"Origin": "null"})
    assert resp.status_code == 403
    assert resp.json()["code"] == "cross_site_request"


async def test_cookie_write_from_our_own_page_is_allowed(client, session):
    user = await make_user(session)
    _sign_in_by_cookie(client, user)
    resp = await client.post(READ_ALL, headers={"Origin": "http://test"})
    assert resp.status_code == 200
    resp = await client.post(READ_ALL, headers={"Referer": "http://test/me"})
    assert resp.status_code == 200


async def test_cookie_write_from_the_public_base_url_is_allowed(client, session):
    user = await make_user(session)
    _sign_in_by_cookie(client, user)
    resp = await client.post(READ_ALL, headers={"Origin": get_settings().public_base_url})
    assert resp.status_code == 200


async def test_cookie_write_with_a_json_body_and_no_origin_is_allowed(client, session):
    user = await make_user(session)
    _sign_in_by_cookie(client, user)
    resp = await client.patch("/api/v1/me", json={"name": "新名字"})
    assert resp.status_code == 200
    assert resp.json()["name"] == "新名字"


async def test_bearer_write_is_not_subject_to_the_origin_check(client, session):
    user = await make_user(session)
    resp = await client.post(READ_ALL, headers={**auth(user), "Origin": "https://evil.example.com"})
    assert resp.status_code == 200


async def test_cookie_read_from_another_site_is_allowed(client, session):
    user = await make_user(session)
    _sign_in_by_cookie(client, user)
    resp = await client.get("/api/v1/me", headers={"Origin": "https://evil.example.com"})
    assert resp.status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/auth/sms-code", "/api/v1/auth/login", "/api/v1/auth/logout"])
async def test_sign_in_writes_from_another_site_are_403(client, path):
    resp = await client.post(
        path, json={"phone": "13912345679", "code": "000000"}, headers={"Origin": "https://evil.example.com"}
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "cross_site_request"


async def test_sms_code_from_a_script_without_origin_is_allowed(client):
    resp = await client.post("/api/v1/auth/sms-code", json={"phone": "13912345670"})
    assert resp.status_code == 200
    ours = await client.post(
        "/api/v1/auth/sms-code", json={"phone": "13912345671"}, headers={"Origin": "http://test"}
    )
    assert ours.status_code == 200


# --- Cross-alliance reach -------------------------------------------------------------------------


async def test_event_cannot_be_dispatched_to_another_alliances_unit(client, session):
    tree, far = await make_tree(session), await make_tree(session)
    resident = await make_user(session, home=tree.compound)
    staff = await make_user(session, role=(tree.compound, "staff"))
    far_handler = await make_user(session, role=(far.unit, "staff"))
    event = await client.post(
        "/api/v1/events",
        json={"category": "环境卫生", "description": "楼道堆放杂物", "org_id": tree.compound.id},
        headers=auth(resident),
    )
    assert event.status_code == 201, event.text
    eid = event.json()["id"]
    due = (clock.now() + timedelta(hours=48)).isoformat()
    resp = await client.post(
        f"/api/v1/events/{eid}/dispatch",
        json={"handler_org_id": far.unit.id, "due_at": due},
        headers=auth(staff),
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid_handler"
    assert (
        problem_code(await client.get(f"/api/v1/events/{eid}", headers=auth(far_handler)), 404)
        == "event_not_found"
    )
    ok = await client.post(
        f"/api/v1/events/{eid}/dispatch",
        json={"handler_org_id": tree.unit.id, "due_at": due},
        headers=auth(staff),
    )
    assert ok.status_code == 200


async def test_admin_cannot_grant_minutes_to_someone_outside_their_tree(client, session):
    tree, far = await make_tree(session), await make_tree(session)
    admin = await make_user(session, role=(tree.compound, "admin"))
    stranger = await make_user(session, home=far.compound)
    resp = await client.post(
        "/api/v1/timebank/grants",
        json={"user_id": stranger.id, "minutes": 1, "reason": "补录", "org_id": tree.compound.id},
        headers={**auth(admin), "Idempotency-Key": "sec-g1"},
    )
    assert resp.status_code == 404
    assert resp.json()["code"] == "user_not_found"
    assert "balance_minutes" not in resp.json()
    neighbour = await make_user(session, home=tree.other_compound)
    resp = await client.post(
        "/api/v1/timebank/grants",
        json={"user_id": neighbour.id, "minutes": 1, "reason": "补录", "org_id": tree.compound.id},
        headers={**auth(admin), "Idempotency-Key": "sec-g2"},
    )
    assert resp.status_code == 404
    assert resp.json()["code"] == "user_not_found"


async def test_admin_cannot_grant_minutes_to_themselves(client, session):
    tree = await make_tree(session)
    admin = await make_user(session, home=tree.compound, role=(tree.community, "admin"))
    resp = await client.post(
        "/api/v1/timebank/grants",
        json={"user_id": admin.id, "minutes": 600, "reason": "补录"},
        headers={**auth(admin), "Idempotency-Key": "sec-g3"},
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "cannot_grant_to_self"
    resident = await make_user(session, home=tree.grid)
    ok = await client.post(
        "/api/v1/timebank/grants",
        json={"user_id": resident.id, "minutes": 60, "reason": "补录"},
        headers={**auth(admin), "Idempotency-Key": "sec-g4"},
    )
    assert ok.status_code == 201, ok.text


# --- Self-dealing: nobody credits their own time bank ---------------------------------------------


async def test_staff_cannot_verify_a_wish_they_claimed_themselves(client, session):
    tree = await make_tree(session)
    poster = await make_user(session, home=tree.compound)
    staff = await make_user(session, role=(tree.compound, "staff"))
    other_staff = await make_user(session, role=(tree.community, "staff"))
    wish = await client.post(
        "/api/v1/wishes",
        json={"title": "换灯泡", "category": "生活服务", "org_id": tree.compound.id},
        headers=auth(poster),
    )
    assert wish.status_code == 201, wish.text
    url = f"/api/v1/wishes/{wish.json()['id']}"
    assert (
        await client.post(f"{url}/review", json={"approve": True}, headers=auth(staff))
    ).status_code == 200
    assert (await client.post(f"{url}/claim", headers=auth(staff))).status_code == 200
    await client.post(f"{url}/done", json={"note": "换好了", "minutes_spent": 30}, headers=auth(staff))
    assert (await client.post(f"{url}/confirm", json={"rating": 5}, headers=auth(poster))).status_code == 200
    resp = await client.post(f"{url}/verify", json={"credit_minutes": 1440}, headers=auth(staff))
    assert resp.status_code == 403
    assert resp.json()["code"] == "cannot_verify_own_help"
    ok = await client.post(f"{url}/verify", json={"credit_minutes": 30}, headers=auth(other_staff))
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "verified"


async def test_staff_of_another_alliance_cannot_spend_a_residents_minutes(client, session):
    from app.services import ledger

    tree, far = await make_tree(session), await make_tree(session)
    granny = await make_user(session, home=tree.compound)
    await ledger.credit_service(
        session,
        org_id=tree.compound.id,
        user_id=granny.id,
        minutes=100,
        ref_type="wish",
        ref_id=1,
        memo="服务",
        actor_id=None,
    )
    await session.commit()
    far_staff = await make_user(session, role=(far.compound, "staff"))
    rid = (
        await client.post(
            "/api/v1/timebank/rewards",
            json={"org_id": far.compound.id, "name": "理发", "price_minutes": 30, "stock": 5},
            headers=auth(far_staff),
        )
    ).json()["id"]
    resp = await client.post(
        f"/api/v1/timebank/rewards/{rid}/redeem",
        json={"for_phone": granny.phone},
        headers={**auth(far_staff), "Idempotency-Key": "sec-r1"},
    )
    assert resp.status_code == 404
    assert resp.json()["code"] == "user_not_found"
    assert (await client.get("/api/v1/timebank/me", headers=auth(granny))).json()["balance_minutes"] == 100


# --- Logs: no location, codes or phones in the access log -------------------------------------------


def test_access_log_drops_location_and_codes_from_the_query():
    import logging

    from app.main import create_app
    from app.security import RedactAccessLog

    create_app(get_settings())
    access = logging.getLogger("uvicorn.access")
    assert sum(isinstance(f, RedactAccessLog) for f in access.filters) == 1
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("1.2.3.4:5", "GET", "/stations?near=30.123456,120.654321&coord=wgs84&t=v1.s.1.2.x", "1.1", 200),
        None,
    )
    assert RedactAccessLog().filter(record) is True
    line = record.getMessage()
    assert line == '1.2.3.4:5 - "GET /stations?near=***&coord=wgs84&t=*** HTTP/1.1" 200'
    assert "30.123456" not in line


async def test_sms_code_log_line_masks_the_phone(client, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="ejia.sms"):
        resp = await client.post("/api/v1/auth/sms-code", json={"phone": "13912345678"})
    assert resp.status_code == 200
    text = caplog.text
    assert "139****5678" in text
    assert "13912345678" not in text
    assert resp.json()["debug_code"] not in text


def test_console_sms_never_hands_out_the_code_in_production():
    from app.services.sms import get_sender

    prod = get_settings().model_copy(update={"env": "prod", "sms_backend": "console"})
    assert get_sender(prod).shows_code is False
    dev = get_settings().model_copy(update={"env": "dev", "sms_backend": "console"})
    assert get_sender(dev).shows_code is True


# --- Role escalation ------------------------------------------------------------------------------


async def test_admin_of_a_compound_cannot_grant_roles_on_its_parent(client, session):
    tree = await make_tree(session)
    admin = await make_user(session, role=(tree.compound, "admin"))
    resp = await client.post(
        f"/api/v1/orgs/{tree.community.id}/roles",
        json={"phone": "13900000001", "role": "admin"},
        headers=auth(admin),
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"
    own = await client.post(
        f"/api/v1/orgs/{tree.compound.id}/roles",
        json={"phone": "13900000001", "role": "staff"},
        headers=auth(admin),
    )
    assert own.status_code == 201


async def test_staff_cannot_assign_any_role(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    for role in ("admin", "staff"):
        resp = await client.post(
            f"/api/v1/orgs/{tree.compound.id}/roles",
            json={"phone": "13900000002", "role": role},
            headers=auth(staff),
        )
        assert resp.status_code == 403
        assert resp.json()["code"] == "forbidden"


async def test_admin_of_one_alliance_has_no_say_in_another(client, session):
    tree, far = await make_tree(session), await make_tree(session)
    admin = await make_user(session, role=(tree.alliance, "admin"))
    victim = await make_user(session, role=(far.compound, "staff"))
    assert (
        problem_code(
            await client.post(
                f"/api/v1/orgs/{far.compound.id}/roles",
                json={"phone": "13900000003", "role": "admin"},
                headers=auth(admin),
            ),
            403,
        )
        == "forbidden"
    )
    assert (
        problem_code(
            await client.delete(f"/api/v1/orgs/{far.compound.id}/roles/{victim.id}", headers=auth(admin)), 403
        )
        == "forbidden"
    )
    for path in (
        f"/api/v1/orgs/{far.alliance.id}/lists/needs.xlsx",
        f"/api/v1/orgs/{far.alliance.id}/lists/needs",
        f"/api/v1/orgs/{far.alliance.id}/stats",
        f"/api/v1/orgs/{far.alliance.id}/stats.xlsx",
    ):
        assert problem_code(await client.get(path, headers=auth(admin)), 403) == "forbidden", path


# --- Pages apply the API's checks -----------------------------------------------------------------


async def test_pages_hide_someone_elses_private_objects(client, session):
    tree = await make_tree(session)
    poster = await make_user(session, home=tree.compound)
    stranger = await make_user(session, home=tree.compound)
    wish = await client.post(
        "/api/v1/wishes",
        json={"title": "修水管", "category": "生活服务", "org_id": tree.compound.id},
        headers=auth(poster),
    )
    event = await client.post(
        "/api/v1/events",
        json={"category": "环境卫生", "description": "楼道堆放杂物", "org_id": tree.compound.id},
        headers=auth(poster),
    )
    assert (wish.status_code, event.status_code) == (201, 201)
    _sign_in_by_cookie(client, stranger)
    assert (await client.get(f"/wishes/{wish.json()['id']}")).status_code == 404
    assert (await client.get(f"/events/{event.json()['id']}")).status_code == 404
    assert (await client.get(f"/admin/reports/members/{poster.id}")).status_code == 404
    _sign_in_by_cookie(client, poster)
    assert (await client.get(f"/wishes/{wish.json()['id']}")).status_code == 200


async def test_every_response_forbids_framing_and_sniffing(client, session):
    user = await make_user(session)
    for resp in (
        await client.get("/api/v1/me", headers=auth(user)),
        await client.get("/login"),
        await client.get("/api/v1/me"),
    ):
        assert resp.headers["x-frame-options"] == "DENY"
        assert resp.headers["x-content-type-options"] == "nosniff"
        assert resp.headers["referrer-policy"] == "same-origin"


async def test_staff_cannot_approve_or_rate_their_own_member_report(client, session):
    tree = await make_tree(session)
    staff_member = await make_user(session, party="in_service", role=(tree.compound, "staff"))
    colleague = await make_user(session, role=(tree.community, "staff"))
    created = await client.post(
        "/api/v1/member-reports",
        json={"employer_unit_id": tree.unit.id, "org_id": tree.compound.id, "skills": []},
        headers=auth(staff_member),
    )
    assert created.status_code == 201, created.text
    rid, year = created.json()["id"], created.json()["year"]
    own = await client.post(
        f"/api/v1/member-reports/{rid}/review", json={"approve": True}, headers=auth(staff_member)
    )
    assert own.status_code == 403
    assert own.json()["code"] == "cannot_review_own_report"
    ok = await client.post(
        f"/api/v1/member-reports/{rid}/review", json={"approve": True}, headers=auth(colleague)
    )
    assert ok.status_code == 200, ok.text
    self_rated = await client.put(
        f"/api/v1/members/{staff_member.id}/feedback/{year}",
        json={"rating": "excellent"},
        headers=auth(staff_member),
    )
    assert self_rated.status_code == 403
    assert self_rated.json()["code"] == "cannot_rate_self"
    rated = await client.put(
        f"/api/v1/members/{staff_member.id}/feedback/{year}",
        json={"rating": "qualified"},
        headers=auth(colleague),
    )
    assert rated.status_code == 200, rated.text


async def test_former_staff_lose_control_of_the_activities_they_created(client, session):
    from sqlmodel import delete

    from app.models.org import Role

    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    start = clock.now() + timedelta(minutes=10)
    created = await client.post(
        "/api/v1/activities",
        json={
            "org_id": tree.compound.id,
            "title": "主题党日",
            "kind": "主题党日",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "location": "党群服务中心",
            "capacity": 5,
            "credit_minutes": 90,
        },
        headers=auth(staff),
    )
    assert created.status_code == 201, created.text
    aid = created.json()["id"]
    assert (await client.get(f"/api/v1/activities/{aid}/attendance", headers=auth(staff))).status_code == 200
    await session.exec(delete(Role).where(Role.user_id == staff.id))
    await session.commit()
    for method, path in (("GET", "attendance"), ("GET", "qr"), ("GET", "stats"), ("POST", "close")):
        resp = await client.request(method, f"/api/v1/activities/{aid}/{path}", headers=auth(staff))
        assert resp.status_code == 403, path
        assert resp.json()["code"] == "forbidden"
    assert (await client.get(f"/api/v1/activities/{aid}", headers=auth(staff))).json()[
        "is_organiser"
    ] is False


# --- Tokens ---------------------------------------------------------------------------------------


async def test_a_token_older_than_its_lifetime_is_401(client, session, monkeypatch):
    import time

    user = await make_user(session)
    days = get_settings().access_token_days
    real = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real() - (days * 86400 + 60))
    old = issue_access_token(get_settings(), user.id)
    monkeypatch.setattr("itsdangerous.timed.time.time", real)
    resp = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {old}"})
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"


async def test_other_signed_blobs_are_not_access_tokens(client, session):
    from app.security import sign_payload
    from app.services import qr

    user = await make_user(session)
    for salt in ("wechat-state", "wechat-bind"):
        blob = sign_payload(get_settings(), salt, {"uid": user.id})
        assert (
            problem_code(await client.get("/api/v1/me", headers={"Authorization": f"Bearer {blob}"}), 401)
            == "not_authenticated"
        )
    ticket = qr.ticket_token(1, user.id)
    assert (
        problem_code(await client.get("/api/v1/me", headers={"Authorization": f"Bearer {ticket}"}), 401)
        == "not_authenticated"
    )


def test_qr_codes_are_signed_with_a_key_of_their_own():
    import base64
    import hashlib
    import hmac

    from app.services import qr

    raw = hmac.new(get_settings().secret_key.encode(), b"ejia-qr|v1|t|1|2", hashlib.sha256).digest()
    assert qr.make_token("t", 1, 2).split(".")[-1] != base64.urlsafe_b64encode(raw[:16]).decode().rstrip("=")
    assert qr.read(qr.make_token("t", 1, 2), at=clock.now()) == qr.Code("t", 1, 2)


def test_session_and_oauth_cookies_are_secure_in_production():
    from starlette.responses import Response

    from app.routers.auth import set_session_cookie

    prod = get_settings().model_copy(update={"env": "prod"})
    response = Response()
    set_session_cookie(response, "token", prod)
    cookie = response.headers["set-cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    dev = Response()
    set_session_cookie(dev, "token", get_settings())
    assert "Secure" not in dev.headers["set-cookie"]
