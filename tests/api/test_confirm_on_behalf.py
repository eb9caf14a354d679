"""代办 finished: staff who posted a wish for a resident confirm it for them, audited as on behalf;
the resident is told by SMS when they have never signed in to the app."""

import pytest
from sqlmodel import select

from app.models.audit import AuditLog
from app.models.push import PushMessage
from tests.factories import auth, make_tree, make_user

RESIDENT = "13955556666"


async def done_wish_for_resident(client, session, tree):
    acting = await make_user(session, name="网格员小周", role=(tree.compound, "staff"))
    resp = await client.post(
        "/api/v1/wishes",
        json={
            "title": "帮老人换灯泡",
            "category": "助老",
            "org_id": tree.compound.id,
            "on_behalf_of_phone": RESIDENT,
        },
        headers=auth(acting),
    )
    assert resp.status_code == 201, resp.text
    wish = resp.json()
    await client.post(f"/api/v1/wishes/{wish['id']}/review", json={"approve": True}, headers=auth(acting))
    helper = await make_user(session, name="志愿者", home=tree.compound)
    await client.post(f"/api/v1/wishes/{wish['id']}/claim", headers=auth(helper))
    resp = await client.post(
        f"/api/v1/wishes/{wish['id']}/done",
        json={"note": "换好了", "minutes_spent": 20},
        headers=auth(helper),
    )
    assert resp.status_code == 200, resp.text
    return wish, acting, helper


async def test_acting_staff_confirms_for_resident_audited_and_sms_sent(client, session):
    tree = await make_tree(session)
    wish, acting, helper = await done_wish_for_resident(client, session, tree)
    seen = (await client.get(f"/api/v1/wishes/{wish['id']}", headers=auth(acting))).json()
    assert "confirm_on_behalf" in seen["actions"]
    resp = await client.post(
        f"/api/v1/wishes/{wish['id']}/confirm",
        json={"rating": 5, "comment": "老人说谢谢", "on_behalf": True},
        headers=auth(acting),
    )
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert (got["status"], got["rating"], got["comment"]) == ("confirmed", 5, "老人说谢谢")
    assert got["events"][-1]["note"].startswith("由网格员小周代为确认")
    logs = (await session.exec(select(AuditLog).where(AuditLog.action == "wish.confirm_on_behalf"))).all()
    assert [(a.actor_id, a.on_behalf_of_id, a.object_id) for a in logs] == [
        (acting.id, got["poster"]["id"], wish["id"])
    ]
    sms = (
        await session.exec(
            select(PushMessage).where(
                PushMessage.user_id == got["poster"]["id"], PushMessage.kind == "wish_for_you"
            )
        )
    ).all()
    assert [(m.channel, m.title) for m in sms] == [("sms", "您的心愿已完成")]


async def test_no_sms_for_resident_who_uses_the_app(client, session):
    tree = await make_tree(session)
    code = (await client.post("/api/v1/auth/sms-code", json={"phone": RESIDENT})).json()["debug_code"]
    await client.post("/api/v1/auth/login", json={"phone": RESIDENT, "code": code})
    wish, acting, _ = await done_wish_for_resident(client, session, tree)
    resp = await client.post(
        f"/api/v1/wishes/{wish['id']}/confirm", json={"rating": 4, "on_behalf": True}, headers=auth(acting)
    )
    assert resp.status_code == 200, resp.text
    sms = (await session.exec(select(PushMessage).where(PushMessage.kind == "wish_for_you"))).all()
    assert sms == []


@pytest.mark.parametrize(
    ("who", "on_behalf", "status", "code"),
    [
        ("acting_staff", True, 200, None),
        ("other_staff", True, 403, "not_acting_staff"),
        ("claimer", True, 403, "not_acting_staff"),
        ("acting_staff", False, 403, "not_wish_poster"),
        ("stranger", True, 403, "not_acting_staff"),
    ],
)
async def test_who_may_confirm_on_behalf(client, session, who, on_behalf, status, code):
    tree = await make_tree(session)
    wish, acting, helper = await done_wish_for_resident(client, session, tree)
    actor = {
        "acting_staff": acting,
        "other_staff": await make_user(session, role=(tree.community, "staff")),
        "claimer": helper,
        "stranger": await make_user(session, home=tree.compound),
    }[who]
    resp = await client.post(
        f"/api/v1/wishes/{wish['id']}/confirm",
        json={"rating": 5, "on_behalf": on_behalf},
        headers=auth(actor),
    )
    assert resp.status_code == status, resp.text
    if code:
        assert resp.json()["code"] == code


async def test_on_behalf_before_done_is_409(client, session):
    tree = await make_tree(session)
    acting = await make_user(session, role=(tree.compound, "staff"))
    wish = (
        await client.post(
            "/api/v1/wishes",
            json={
                "title": "帮老人买药",
                "category": "助老",
                "org_id": tree.compound.id,
                "on_behalf_of_phone": RESIDENT,
            },
            headers=auth(acting),
        )
    ).json()
    resp = await client.post(
        f"/api/v1/wishes/{wish['id']}/confirm", json={"rating": 5, "on_behalf": True}, headers=auth(acting)
    )
    assert (resp.status_code, resp.json()["code"]) == (409, "invalid_state")
