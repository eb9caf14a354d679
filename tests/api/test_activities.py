"""Activities through the API: publishing, sign-up with a waiting list, sign-in three ways, sign-out, close."""

from datetime import timedelta

from sqlmodel import select

from app import clock
from app.models.activities import Activity, ActivitySignup
from app.models.audit import AuditLog
from app.services import qr
from tests.factories import auth, make_tree, make_user


def _body(org, **kw):
    start = clock.now() + kw.pop("starts_in", timedelta(minutes=10))
    body = {
        "org_id": org.id,
        "title": "主题党日：重温入党誓词",
        "kind": "主题党日",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "location": "社区党群服务中心",
        "capacity": 2,
        "credit_minutes": 90,
    }
    body.update(kw)
    return body


async def _activity(client, session, tree, **kw):
    staff = await make_user(session, role=(tree.community, "staff"))
    resp = await client.post("/api/v1/activities", json=_body(tree.compound, **kw), headers=auth(staff))
    assert resp.status_code == 201, resp.text
    return resp.json(), staff


async def test_staff_publishes_activity_and_it_is_listed_upcoming(client, session):
    tree = await make_tree(session)
    created, _ = await _activity(client, session, tree)
    assert (created["capacity"], created["signed_up"], created["closed"]) == (2, 0, False)
    user = await make_user(session)
    listed = (
        await client.get(f"/api/v1/activities?org_id={tree.community.id}&upcoming=true", headers=auth(user))
    ).json()
    assert [a["id"] for a in listed["items"]] == [created["id"]]
    other = (
        await client.get(f"/api/v1/activities?org_id={tree.other_community.id}", headers=auth(user))
    ).json()
    assert other["items"] == []


async def test_resident_cannot_publish_403(client, session):
    tree = await make_tree(session)
    resp = await client.post(
        "/api/v1/activities", json=_body(tree.compound), headers=auth(await make_user(session))
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"


async def test_unknown_kind_is_422(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    resp = await client.post(
        "/api/v1/activities", json=_body(tree.compound, kind="打麻将"), headers=auth(staff)
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid_activity_kind"


async def test_third_signup_on_two_places_gets_409_activity_full(client, session):
    tree = await make_tree(session)
    act, _ = await _activity(client, session, tree)
    for _ in range(2):
        resp = await client.post(
            f"/api/v1/activities/{act['id']}/signup", headers=auth(await make_user(session))
        )
        assert resp.json()["status"] == "signed_up"
    full = await client.post(f"/api/v1/activities/{act['id']}/signup", headers=auth(await make_user(session)))
    assert full.status_code == 409
    assert full.json()["code"] == "activity_full"
    detail = (
        await client.get(f"/api/v1/activities/{act['id']}", headers=auth(await make_user(session)))
    ).json()
    assert (detail["signed_up"], detail["capacity"]) == (2, 2)


async def test_cancel_promotes_the_first_waiter(client, session):
    tree = await make_tree(session)
    act, _ = await _activity(client, session, tree, capacity=1)
    first, second, third = [await make_user(session) for _ in range(3)]
    await client.post(f"/api/v1/activities/{act['id']}/signup", headers=auth(first))
    w1 = await client.post(f"/api/v1/activities/{act['id']}/signup?wait=true", headers=auth(second))
    assert w1.json() == {"activity_id": act["id"], "user_id": second.id, "status": "waiting", "position": 1}
    w2 = await client.post(f"/api/v1/activities/{act['id']}/signup?wait=true", headers=auth(third))
    assert w2.json()["position"] == 2
    cancelled = await client.delete(f"/api/v1/activities/{act['id']}/signup", headers=auth(first))
    assert cancelled.json()["status"] == "cancelled"
    mine = (await client.get(f"/api/v1/activities/{act['id']}", headers=auth(second))).json()
    assert (mine["my_status"], mine["signed_up"], mine["waiting"]) == ("signed_up", 1, 1)


async def test_cancel_without_waiters_frees_the_place(client, session):
    tree = await make_tree(session)
    act, _ = await _activity(client, session, tree, capacity=1)
    person = await make_user(session)
    await client.post(f"/api/v1/activities/{act['id']}/signup", headers=auth(person))
    await client.delete(f"/api/v1/activities/{act['id']}/signup", headers=auth(person))
    again = await client.post(f"/api/v1/activities/{act['id']}/signup", headers=auth(person))
    assert again.json()["status"] == "signed_up"
    assert (await session.get(Activity, act["id"])).signed_up == 1


async def test_cancel_without_signup_is_404(client, session):
    tree = await make_tree(session)
    act, _ = await _activity(client, session, tree)
    resp = await client.delete(
        f"/api/v1/activities/{act['id']}/signup", headers=auth(await make_user(session))
    )
    assert resp.status_code == 404
    assert resp.json()["code"] == "signup_not_found"


async def test_sign_in_by_live_code_then_retry_is_duplicate(client, session):
    tree = await make_tree(session)
    act, staff = await _activity(client, session, tree, starts_in=timedelta(minutes=20))
    person = await make_user(session)
    await client.post(f"/api/v1/activities/{act['id']}/signup", headers=auth(person))
    code = (await client.get(f"/api/v1/activities/{act['id']}/qr", headers=auth(staff))).json()
    first = await client.post("/api/v1/checkins", json={"token": code["token"]}, headers=auth(person))
    assert first.status_code == 200, first.text
    assert (first.json()["kind"], first.json()["duplicate"]) == ("activity", False)
    clock.travel(timedelta(minutes=5))
    token = qr.live_token("a", act["id"], at=clock.now())[0]
    again = await client.post("/api/v1/checkins", json={"token": token}, headers=auth(person))
    assert (again.json()["id"], again.json()["duplicate"]) == (first.json()["id"], True)


async def test_sign_in_too_early_is_409_activity_not_open(client, session):
    tree = await make_tree(session)
    act, _ = await _activity(client, session, tree, starts_in=timedelta(hours=2), signup_required=False)
    token = qr.live_token("a", act["id"], at=clock.now())[0]
    resp = await client.post(
        "/api/v1/checkins", json={"token": token}, headers=auth(await make_user(session))
    )
    assert resp.status_code == 409
    assert resp.json()["code"] == "activity_not_open"


async def test_sign_in_without_signup_is_409_not_signed_up(client, session):
    tree = await make_tree(session)
    act, _ = await _activity(client, session, tree)
    token = qr.live_token("a", act["id"], at=clock.now())[0]
    resp = await client.post(
        "/api/v1/checkins", json={"token": token}, headers=auth(await make_user(session))
    )
    assert resp.status_code == 409
    assert resp.json()["code"] == "not_signed_up"


async def test_open_activity_needs_no_signup(client, session):
    tree = await make_tree(session)
    act, _ = await _activity(client, session, tree, signup_required=False)
    token = qr.live_token("a", act["id"], at=clock.now())[0]
    resp = await client.post(
        "/api/v1/checkins", json={"token": token}, headers=auth(await make_user(session))
    )
    assert resp.json()["kind"] == "activity"


async def test_organiser_signs_in_by_phone_and_it_is_audited_as_acting_for_them(client, session):
    tree = await make_tree(session)
    act, staff = await _activity(client, session, tree)
    elder = await make_user(session, name="吴奶奶", phone="13812345678")
    await client.post(f"/api/v1/activities/{act['id']}/signup", headers=auth(elder))
    resp = await client.post(
        f"/api/v1/activities/{act['id']}/attendance", json={"phone": "13812345678"}, headers=auth(staff)
    )
    assert resp.status_code == 200, resp.text
    assert (resp.json()["method"], resp.json()["user"]["phone"], resp.json()["duplicate"]) == (
        "phone",
        "13812345678",
        False,
    )
    logs = (await session.exec(select(AuditLog).where(AuditLog.action == "activity.sign_in"))).all()
    assert [(log.actor_id, log.on_behalf_of_id) for log in logs] == [(staff.id, elder.id)]
    again = await client.post(
        f"/api/v1/activities/{act['id']}/attendance", json={"phone": "13812345678"}, headers=auth(staff)
    )
    assert again.json()["duplicate"] is True


async def test_resident_cannot_sign_others_in_403(client, session):
    tree = await make_tree(session)
    act, _ = await _activity(client, session, tree)
    other = await make_user(session)
    resp = await client.post(
        f"/api/v1/activities/{act['id']}/attendance",
        json={"phone": other.phone},
        headers=auth(await make_user(session)),
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"


async def test_organiser_scans_personal_ticket(client, session):
    tree = await make_tree(session)
    act, staff = await _activity(client, session, tree)
    person = await make_user(session)
    no_ticket = await client.get(f"/api/v1/activities/{act['id']}/ticket", headers=auth(person))
    assert no_ticket.status_code == 404
    assert no_ticket.json()["code"] == "signup_not_found"
    await client.post(f"/api/v1/activities/{act['id']}/signup", headers=auth(person))
    ticket = (await client.get(f"/api/v1/activities/{act['id']}/ticket", headers=auth(person))).json()
    resp = await client.post(
        f"/api/v1/activities/{act['id']}/tickets", json={"token": ticket["token"]}, headers=auth(staff)
    )
    assert resp.status_code == 200, resp.text
    assert (resp.json()["user"]["id"], resp.json()["method"]) == (person.id, "ticket")
    self_scan = await client.post("/api/v1/checkins", json={"token": ticket["token"]}, headers=auth(person))
    assert self_scan.status_code == 400
    assert self_scan.json()["code"] == "invalid_token"


async def test_ticket_of_another_activity_is_invalid(client, session):
    tree = await make_tree(session)
    act, staff = await _activity(client, session, tree)
    resp = await client.post(
        f"/api/v1/activities/{act['id']}/tickets",
        json={"token": qr.ticket_token(act["id"] + 1, staff.id)},
        headers=auth(staff),
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "invalid_token"


async def test_close_credits_attendees_once_and_records_no_shows(client, session):
    tree = await make_tree(session)
    act, staff = await _activity(client, session, tree, capacity=3)
    came, absent = await make_user(session), await make_user(session)
    for person in (came, absent):
        await client.post(f"/api/v1/activities/{act['id']}/signup", headers=auth(person))
    await client.post(
        "/api/v1/checkins",
        json={"token": qr.live_token("a", act["id"], at=clock.now())[0]},
        headers=auth(came),
    )
    clock.travel(timedelta(hours=3))  # an activity is closed once it has begun (here: run its course)
    closed = await client.post(f"/api/v1/activities/{act['id']}/close", headers=auth(staff))
    assert closed.status_code == 200
    assert (closed.json()["attended"], closed.json()["credited"], closed.json()["no_shows"]) == (1, 1, 1)
    again = await client.post(f"/api/v1/activities/{act['id']}/close", headers=auth(staff))
    assert (again.json()["credited"], again.json()["closed_at"]) == (0, closed.json()["closed_at"])
    stats = (await client.get(f"/api/v1/activities/{act['id']}/stats", headers=auth(staff))).json()
    assert stats == {
        "activity_id": act["id"],
        "signed_up": 2,
        "attended": 1,
        "no_shows": 1,
        "attendance_rate": 0.5,
        "no_show_rate": 0.5,
    }
    no_show = (await session.exec(select(ActivitySignup).where(ActivitySignup.user_id == absent.id))).one()
    assert no_show.no_show is True


async def test_close_without_credit_minutes_needs_no_ledger(client, session):
    tree = await make_tree(session)
    act, staff = await _activity(client, session, tree, credit_minutes=0)
    person = await make_user(session)
    await client.post(f"/api/v1/activities/{act['id']}/signup", headers=auth(person))
    await client.post(
        f"/api/v1/activities/{act['id']}/attendance", json={"phone": person.phone}, headers=auth(staff)
    )
    clock.travel(timedelta(minutes=30))
    closed = await client.post(f"/api/v1/activities/{act['id']}/close", headers=auth(staff))
    assert (closed.json()["attended"], closed.json()["credited"], closed.json()["no_shows"]) == (1, 1, 0)
    late = await client.post(
        "/api/v1/checkins",
        json={"token": qr.live_token("a", act["id"], at=clock.now())[0]},
        headers=auth(await make_user(session)),
    )
    assert late.status_code == 409
    assert late.json()["code"] == "activity_closed"


async def test_sign_out_by_rescanning_credits_once(client, session):
    tree = await make_tree(session)
    act, staff = await _activity(client, session, tree, kind="志愿服务")
    person = await make_user(session)
    await client.post(f"/api/v1/activities/{act['id']}/signup", headers=auth(person))
    await client.post(
        "/api/v1/checkins",
        json={"token": qr.live_token("a", act["id"], at=clock.now())[0]},
        headers=auth(person),
    )
    clock.travel(timedelta(minutes=100))  # 90 minutes inside the window (it starts in 10)
    token = qr.live_token("a", act["id"], at=clock.now())[0]
    out = await client.post(
        f"/api/v1/activities/{act['id']}/signout", json={"token": token}, headers=auth(person)
    )
    assert out.status_code == 200, out.text
    assert (out.json()["credited_minutes"], out.json()["duplicate"]) == (90, False)
    closed = await client.post(f"/api/v1/activities/{act['id']}/close", headers=auth(staff))
    assert closed.json()["credited"] == 0


async def test_sign_out_before_sign_in_is_409(client, session):
    tree = await make_tree(session)
    act, _ = await _activity(client, session, tree)
    token = qr.live_token("a", act["id"], at=clock.now())[0]
    resp = await client.post(
        f"/api/v1/activities/{act['id']}/signout",
        json={"token": token},
        headers=auth(await make_user(session)),
    )
    assert resp.status_code == 409
    assert resp.json()["code"] == "not_signed_in"


async def test_only_organiser_gets_live_code(client, session):
    tree = await make_tree(session)
    act, _ = await _activity(client, session, tree)
    resp = await client.get(f"/api/v1/activities/{act['id']}/qr", headers=auth(await make_user(session)))
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"


async def test_activity_pages_render_with_ticket_and_organiser_tools(client, session):
    tree = await make_tree(session)
    act, staff = await _activity(client, session, tree)
    person = await make_user(session)
    await client.post(f"/api/v1/activities/{act['id']}/signup", headers=auth(person))
    listed = await client.get("/activities", headers=auth(person))
    assert "主题党日：重温入党誓词" in listed.text
    detail = await client.get(f"/activities/{act['id']}", headers=auth(person))
    assert "我的入场码" in detail.text
    assert "签到大屏" not in detail.text
    organiser = await client.get(f"/activities/{act['id']}", headers=auth(staff))
    assert "签到大屏" in organiser.text
    screen = await client.get(f"/activities/{act['id']}/screen", headers=auth(staff))
    assert "<svg" in screen.text
    live = (await client.get(f"/activities/{act['id']}/screen/live", headers=auth(staff))).json()
    assert live["count"] == 0
    assert (await client.get(f"/activities/{act['id']}/screen", headers=auth(person))).status_code == 403
    assert (await client.get("/admin/activities", headers=auth(staff))).status_code == 200
    assert (await client.get("/admin/activities", headers=auth(person))).status_code == 403


async def test_home_page_lists_upcoming_activities_of_the_users_tree(client, session):
    from app.services import activities as activities_service

    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.alliance, "staff"))
    for org, title in (
        (tree.community, "社区党课"),
        (tree.alliance, "联盟大会"),
        (tree.other_community, "别的社区"),
    ):
        resp = await client.post("/api/v1/activities", json=_body(org, title=title), headers=auth(staff))
        assert resp.status_code == 201
    user = await make_user(session, home=tree.compound)
    found = await activities_service.upcoming_for_user(session, user=user, limit=5)
    assert sorted(a.title for a in found) == ["社区党课", "联盟大会"]


async def test_organiser_signs_in_unregistered_walk_in_taking_a_place(client, session):
    tree = await make_tree(session)
    act, staff = await _activity(client, session, tree, capacity=1)
    resp = await client.post(
        f"/api/v1/activities/{act['id']}/attendance",
        json={"phone": "13800001111", "name": "钱大爷"},
        headers=auth(staff),
    )
    assert resp.status_code == 200, resp.text
    assert (resp.json()["user"]["name"], resp.json()["method"]) == ("钱大爷", "phone")
    assert (await session.get(Activity, act["id"])).signed_up == 1
    full = await client.post(
        f"/api/v1/activities/{act['id']}/attendance", json={"phone": "13800002222"}, headers=auth(staff)
    )
    assert full.status_code == 409
    assert full.json()["code"] == "activity_full"


async def test_times_without_offset_or_past_year_9999_in_utc_are_422(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    for start, end, code in (
        ("2026-12-01T10:00:00", "2026-12-01T12:00:00", "timezone_aware"),
        ("9999-12-31T20:00:00-12:00", "9999-12-31T23:00:00-12:00", "date_out_of_range"),
    ):
        resp = await client.post(
            "/api/v1/activities",
            json=_body(tree.community, starts_at=start, ends_at=end),
            headers=auth(staff),
        )
        assert resp.status_code == 422, start
        assert [(e["field"], e["code"]) for e in resp.json()["errors"]] == [
            ("starts_at", code),
            ("ends_at", code),
        ]
    assert (await session.exec(select(Activity))).all() == []


async def test_end_before_start_names_the_reason_in_chinese(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    start = clock.now() + timedelta(days=1)
    resp = await client.post(
        "/api/v1/activities",
        json=_body(
            tree.community, starts_at=start.isoformat(), ends_at=(start - timedelta(hours=1)).isoformat()
        ),
        headers=auth(staff),
    )
    assert resp.status_code == 422
    assert resp.json()["errors"] == [
        {"field": "body", "code": "value_error", "message": "结束时间须晚于开始时间"}
    ]


async def test_upcoming_activities_come_soonest_first_across_pages(client, session):
    from datetime import timedelta

    from app import clock
    from app.models.activities import Activity

    tree = await make_tree(session)
    now = clock.now()
    for title, days in (("下周", 7), ("明天", 1), ("后天", 2)):
        start = now + timedelta(days=days)
        session.add(
            Activity(
                org_id=tree.compound.id,
                title=title,
                kind="志愿服务",
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                capacity=5,
            )
        )
    await session.commit()
    user = await make_user(session, home=tree.compound)
    first = (await client.get("/api/v1/activities?upcoming=true&limit=2", headers=auth(user))).json()
    second = (
        await client.get(
            f"/api/v1/activities?upcoming=true&limit=2&cursor={first['next_cursor']}", headers=auth(user)
        )
    ).json()
    assert [a["title"] for a in first["items"] + second["items"]] == ["明天", "后天", "下周"]
    assert second["next_cursor"] is None
