"""Grid events: the loop report → dispatch → handle → check → feedback, a failed check, who sees what,
overdue marking and escalation on a controllable clock, and the rates."""

from datetime import timedelta

from sqlmodel import select

from app import clock
from app.models.audit import AuditLog
from app.services import event_timers
from app.services import events as events_service
from tests.factories import auth, make_tree, make_user, photo, problem_code

URL = "/api/v1/events"


async def report(client, user, org, **kw):
    resp = await client.post(
        URL,
        json={"category": "环境卫生", "description": "楼道堆放杂物", "org_id": org.id, **kw},
        headers=auth(user),
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def due(hours=48):
    return (clock.now() + timedelta(hours=hours)).isoformat()


async def people(session, tree):
    resident = await make_user(session, name="张阿姨", home=tree.compound)
    staff = await make_user(session, name="赵网格员", role=(tree.compound, "staff"))
    handler = await make_user(session, name="医院后勤", role=(tree.unit, "staff"))
    return resident, staff, handler


async def test_full_loop_with_a_failed_check(client, session):
    tree = await make_tree(session)
    resident, staff, handler = await people(session, tree)
    ev = await report(client, resident, tree.grid, lat=34.1, lng=119.2)
    assert ev["status"] == "reported"
    eid = ev["id"]
    r = await client.post(
        f"{URL}/{eid}/dispatch", json={"handler_org_id": tree.unit.id, "due_at": due()}, headers=auth(staff)
    )
    assert (r.status_code, r.json()["status"], r.json()["handler_org_id"]) == (
        200,
        "dispatched",
        tree.unit.id,
    )
    r = await client.post(f"{URL}/{eid}/handle", json={"note": "已清理"}, headers=auth(handler))
    assert r.json()["status"] == "handled"
    r = await client.post(f"{URL}/{eid}/check", json={"ok": False, "note": "仍有杂物"}, headers=auth(staff))
    assert r.json()["status"] == "dispatched"
    r = await client.post(f"{URL}/{eid}/handle", json={"note": "全部清走"}, headers=auth(handler))
    assert r.json()["status"] == "handled"
    r = await client.post(f"{URL}/{eid}/check", json={"ok": True}, headers=auth(staff))
    assert r.json()["status"] == "checked"
    r = await client.post(
        f"{URL}/{eid}/feedback", json={"satisfied": True, "comment": "谢谢"}, headers=auth(resident)
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["satisfied"], body["feedback_comment"]) == ("closed", True, "谢谢")
    assert [(e["action"], e["actor_id"]) for e in body["events"]] == [
        ("report", resident.id),
        ("dispatch", staff.id),
        ("handle", handler.id),
        ("check_failed", staff.id),
        ("handle", handler.id),
        ("check", staff.id),
        ("feedback", resident.id),
    ]


async def test_any_other_transition_is_409_invalid_state(client, session):
    tree = await make_tree(session)
    resident, staff, handler = await people(session, tree)
    eid = (await report(client, resident, tree.compound))["id"]
    r = await client.post(f"{URL}/{eid}/check", json={"ok": True}, headers=auth(staff))
    assert (r.status_code, r.json()["code"]) == (409, "invalid_state")
    r = await client.post(f"{URL}/{eid}/feedback", json={"satisfied": True}, headers=auth(resident))
    assert (r.status_code, r.json()["code"]) == (409, "invalid_state")
    await client.post(
        f"{URL}/{eid}/dispatch", json={"handler_org_id": tree.unit.id, "due_at": due()}, headers=auth(staff)
    )
    r = await client.post(
        f"{URL}/{eid}/dispatch", json={"handler_org_id": tree.unit.id, "due_at": due()}, headers=auth(staff)
    )
    assert (r.status_code, r.json()["code"]) == (409, "invalid_state")


async def test_unknown_category_is_422(client, session):
    tree = await make_tree(session)
    resident = await make_user(session)
    r = await client.post(
        URL,
        json={"category": "外星人", "description": "有飞碟", "org_id": tree.grid.id},
        headers=auth(resident),
    )
    assert (r.status_code, r.json()["code"]) == (422, "invalid_category")


async def test_suggestion_box_is_a_category(client, session):
    tree = await make_tree(session)
    resident = await make_user(session)
    ev = await report(client, resident, tree.compound, category="意见箱", description="建议增设健身器材")
    assert ev["category"] == "意见箱"


async def test_who_sees_what(client, session):
    tree = await make_tree(session)
    resident, staff, handler = await people(session, tree)
    stranger = await make_user(session)
    other_staff = await make_user(session, role=(tree.other_community, "staff"))
    eid = (await report(client, resident, tree.grid))["id"]
    for who in (stranger, other_staff, handler):
        assert problem_code(await client.get(f"{URL}/{eid}", headers=auth(who)), 404) == "event_not_found"
    assert (await client.get(f"{URL}/{eid}", headers=auth(resident))).status_code == 200
    seen = await client.get(f"{URL}/{eid}", headers=auth(staff))
    assert seen.json()["reporter"]["phone"] == resident.phone
    await client.post(
        f"{URL}/{eid}/dispatch", json={"handler_org_id": tree.unit.id, "due_at": due()}, headers=auth(staff)
    )
    by_handler = await client.get(f"{URL}/{eid}", headers=auth(handler))
    assert by_handler.status_code == 200
    assert by_handler.json()["reporter"]["phone"] == f"{resident.phone[:3]}****{resident.phone[-4:]}"
    lists = {}
    for name, who in (
        ("stranger", stranger),
        ("other", other_staff),
        ("handler", handler),
        ("staff", staff),
        ("resident", resident),
    ):
        lists[name] = [e["id"] for e in (await client.get(URL, headers=auth(who))).json()["items"]]
    assert lists == {"stranger": [], "other": [], "handler": [eid], "staff": [eid], "resident": [eid]}


async def test_only_the_handler_handles_and_only_the_reporter_gives_feedback(client, session):
    tree = await make_tree(session)
    resident, staff, handler = await people(session, tree)
    eid = (await report(client, resident, tree.grid))["id"]
    await client.post(
        f"{URL}/{eid}/dispatch", json={"handler_org_id": tree.unit.id, "due_at": due()}, headers=auth(staff)
    )
    assert (
        problem_code(
            await client.post(f"{URL}/{eid}/handle", json={"note": "x"}, headers=auth(resident)), 403
        )
        == "forbidden"
    )
    assert (
        problem_code(
            await client.post(
                f"{URL}/{eid}/dispatch",
                json={"handler_org_id": tree.unit.id, "due_at": due()},
                headers=auth(handler),
            ),
            403,
        )
        == "forbidden"
    )
    await client.post(f"{URL}/{eid}/handle", json={"note": "ok"}, headers=auth(handler))
    await client.post(f"{URL}/{eid}/check", json={"ok": True}, headers=auth(staff))
    r = await client.post(f"{URL}/{eid}/feedback", json={"satisfied": False}, headers=auth(staff))
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"


async def test_staff_reports_on_behalf_and_record_says_who(client, session):
    tree = await make_tree(session)
    grid_worker = await make_user(session, role=(tree.grid, "staff"))
    r = await client.post(
        URL,
        json={
            "category": "设施维修",
            "description": "路灯不亮",
            "org_id": tree.grid.id,
            "on_behalf_of_phone": "13911112222",
        },
        headers=auth(grid_worker),
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["acted_by_id"] == grid_worker.id
    assert body["reporter"]["phone"] == "13911112222"
    logs = (await session.exec(select(AuditLog).where(AuditLog.action == "event.report_for"))).all()
    assert [(g.actor_id, g.on_behalf_of_id) for g in logs] == [(grid_worker.id, body["reporter"]["id"])]
    resident = await make_user(session)
    r = await client.post(
        URL,
        json={
            "category": "设施维修",
            "description": "路灯不亮",
            "org_id": tree.grid.id,
            "on_behalf_of_phone": "13911113333",
        },
        headers=auth(resident),
    )
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"


async def test_overdue_is_marked_and_escalated_up_the_tree(client, session):
    tree = await make_tree(session)
    resident, staff, handler = await people(session, tree)
    eid = (await report(client, resident, tree.grid))["id"]
    await client.post(
        f"{URL}/{eid}/dispatch", json={"handler_org_id": tree.unit.id, "due_at": due(24)}, headers=auth(staff)
    )
    assert await event_timers.run_event_timers(session) == 0
    clock.travel(timedelta(hours=25))
    assert await event_timers.run_event_timers(session) == 1
    body = (await client.get(f"{URL}/{eid}", headers=auth(staff))).json()
    assert (body["overdue"], body["escalation_level"], body["escalated_org_id"]) == (
        True,
        1,
        tree.compound.id,
    )
    assert [e["action"] for e in body["events"]][-2:] == ["overdue", "escalate"]
    assert await event_timers.run_event_timers(session) == 0  # not again within the day
    clock.travel(timedelta(days=1, minutes=1))
    assert await event_timers.run_event_timers(session) == 1
    body = (await client.get(f"{URL}/{eid}", headers=auth(staff))).json()
    assert (body["escalation_level"], body["escalated_org_id"]) == (2, tree.community.id)
    clock.travel(timedelta(days=1, minutes=1))
    assert await event_timers.run_event_timers(session) == 1
    clock.travel(timedelta(days=1, minutes=1))
    assert await event_timers.run_event_timers(session) == 0  # the alliance is the top
    body = (await client.get(f"{URL}/{eid}", headers=auth(staff))).json()
    assert (body["escalation_level"], body["escalated_org_id"]) == (3, tree.alliance.id)
    late = await client.post(f"{URL}/{eid}/handle", json={"note": "迟到的处置"}, headers=auth(handler))
    assert late.json()["status"] == "handled"
    figures = await events_service.event_figures(session, org_id=tree.community.id)
    assert (figures["reported"], figures["handled"], figures["on_time_rate"]) == (1, 1, 0.0)


async def test_checked_event_closes_itself_after_the_grace(client, session):
    tree = await make_tree(session)
    resident, staff, handler = await people(session, tree)
    eid = (await report(client, resident, tree.grid))["id"]
    await client.post(
        f"{URL}/{eid}/dispatch", json={"handler_org_id": tree.unit.id, "due_at": due()}, headers=auth(staff)
    )
    await client.post(f"{URL}/{eid}/handle", json={"note": "ok"}, headers=auth(handler))
    await client.post(f"{URL}/{eid}/check", json={"ok": True}, headers=auth(staff))
    clock.travel(timedelta(days=8))
    assert await event_timers.run_event_timers(session) == 1
    body = (await client.get(f"{URL}/{eid}", headers=auth(resident))).json()
    assert (body["status"], body["satisfied"], body["events"][-1]["action"]) == ("closed", None, "auto_close")


async def test_handling_and_on_time_rates(client, session):
    tree = await make_tree(session)
    resident, staff, handler = await people(session, tree)
    ids = [(await report(client, resident, tree.grid))["id"] for _ in range(4)]
    for eid in ids[:3]:
        await client.post(
            f"{URL}/{eid}/dispatch",
            json={"handler_org_id": tree.unit.id, "due_at": due(24)},
            headers=auth(staff),
        )
    await client.post(f"{URL}/{ids[0]}/handle", json={"note": "ok"}, headers=auth(handler))
    await client.post(f"{URL}/{ids[1]}/handle", json={"note": "ok"}, headers=auth(handler))
    clock.travel(timedelta(hours=30))
    await client.post(f"{URL}/{ids[2]}/handle", json={"note": "late"}, headers=auth(handler))
    assert await events_service.handling_rate(session, org_id=tree.community.id) == 0.75
    assert await events_service.on_time_rate(session, org_id=tree.community.id) == 0.6667
    assert await events_service.handling_rate(session, org_id=tree.other_community.id) is None


async def test_staff_queues(client, session):
    tree = await make_tree(session)
    resident, staff, handler = await people(session, tree)
    a = (await report(client, resident, tree.grid))["id"]
    b = (await report(client, resident, tree.grid))["id"]
    await client.post(
        f"{URL}/{b}/dispatch", json={"handler_org_id": tree.unit.id, "due_at": due()}, headers=auth(staff)
    )
    q = await client.get(f"{URL}?queue=dispatch", headers=auth(staff))
    assert [e["id"] for e in q.json()["items"]] == [a]
    q = await client.get(f"{URL}?queue=handle", headers=auth(handler))
    assert [e["id"] for e in q.json()["items"]] == [b]
    q = await client.get(f"{URL}?status=dispatched&org_id={tree.compound.id}", headers=auth(staff))
    assert [e["id"] for e in q.json()["items"]] == [b]


PNG = photo("PNG")


async def test_reporter_adds_a_photo_and_a_stranger_cannot_see_it(client, session):
    tree = await make_tree(session)
    resident, staff, handler = await people(session, tree)
    eid = (await report(client, resident, tree.grid))["id"]
    r = await client.post(
        f"{URL}/{eid}/photos", files={"photo": ("a.png", PNG, "image/png")}, headers=auth(resident)
    )
    assert r.status_code == 201, r.text
    assert len(r.json()["photos"]) == 1
    got = await client.get(f"{URL}/{eid}/photos/0", headers=auth(staff))
    assert (got.status_code, got.headers["content-type"]) == (200, "image/jpeg")
    assert got.content.startswith(b"\xff\xd8\xff")
    stranger = await make_user(session)
    assert (
        problem_code(await client.get(f"{URL}/{eid}/photos/0", headers=auth(stranger)), 404)
        == "event_not_found"
    )
    bad = await client.post(
        f"{URL}/{eid}/photos", files={"photo": ("a.txt", b"hello", "text/plain")}, headers=auth(resident)
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "photo_type_not_allowed")


async def test_reporter_is_told_when_handled_and_checked(client, session):
    from app.models.notifications import Notification

    tree = await make_tree(session)
    resident, staff, handler = await people(session, tree)
    eid = (await report(client, resident, tree.grid))["id"]
    await client.post(
        f"{URL}/{eid}/dispatch", json={"handler_org_id": tree.unit.id, "due_at": due()}, headers=auth(staff)
    )
    await client.post(f"{URL}/{eid}/handle", json={"note": "已清理"}, headers=auth(handler))
    await client.post(f"{URL}/{eid}/check", json={"ok": True}, headers=auth(staff))
    rows = (
        await session.exec(
            select(Notification).where(Notification.user_id == resident.id).order_by(Notification.id)
        )
    ).all()
    assert [(n.title, n.link) for n in rows] == [
        ("您反映的问题已处置", f"/events/{eid}"),
        ("您反映的问题已办好，请评价", f"/events/{eid}"),
    ]


async def test_escalation_tells_the_staff_of_the_level_above(client, session):
    from app.models.notifications import Notification

    tree = await make_tree(session)
    resident, staff, handler = await people(session, tree)
    eid = (await report(client, resident, tree.grid))["id"]
    await client.post(
        f"{URL}/{eid}/dispatch", json={"handler_org_id": tree.unit.id, "due_at": due(1)}, headers=auth(staff)
    )
    clock.travel(timedelta(hours=2))
    assert await event_timers.run_event_timers(session) == 1
    rows = (await session.exec(select(Notification).where(Notification.kind == "event_escalated"))).all()
    assert [(n.user_id, n.ref_id) for n in rows] == [(staff.id, eid)]
