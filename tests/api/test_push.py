"""Push reminders: a wish waiting for confirmation reaches its poster by WeChat subscribe message or SMS.

The fakes run on loopback and check what the real providers check (WeChat's access token and the
message shape; Aliyun's RPC signature), so these tests fail if the request is not what they accept.
"""

import pytest
from sqlmodel import select

from app.config import get_settings
from app.models.push import PushMessage
from app.services import push as push_service
from app.services import sms as sms_service
from tests.factories import auth, make_tree, make_user
from tests.fakes.aliyun_sms import FakeAliyunSms
from tests.fakes.wechat import FakeWeChat

API = "/api/v1/notifications/settings"


@pytest.fixture
def providers(monkeypatch):
    """A fake WeChat and a fake Aliyun SMS, and the app's settings pointed at them."""
    settings = get_settings()
    with (
        FakeWeChat(app_id="wx-push", secret="wx-push-secret") as wechat,
        FakeAliyunSms(key_id="ak-push", secret="sk-push") as aliyun,
    ):
        for name, value in {
            "wechat_app_id": "wx-push",
            "wechat_app_secret": "wx-push-secret",
            "wechat_api_base": wechat.base_url,
            "wechat_subscribe_template": "TPL-todo",
            "sms_backend": "aliyun",
            "aliyun_sms_endpoint": aliyun.base_url,
            "aliyun_access_key_id": "ak-push",
            "aliyun_access_key_secret": "sk-push",
            "aliyun_sms_sign_name": "党建e家",
            "aliyun_sms_code_template": "SMS_CODE",
            "aliyun_sms_notice_template": "SMS_NOTICE",
        }.items():
            monkeypatch.setattr(settings, name, value)
        push_service._tokens.clear()
        yield wechat, aliyun
    push_service._tokens.clear()


async def _wish_done(client, session, poster, tree):
    staff = await make_user(session, name="网格员", role=(tree.compound, "staff"))
    volunteer = await make_user(session, name="志愿者", home=tree.compound)
    wish = (
        await client.post(
            "/api/v1/wishes", json={"title": "帮忙取快递", "category": "生活服务"}, headers=auth(poster)
        )
    ).json()
    url = f"/api/v1/wishes/{wish['id']}"
    assert (
        await client.post(f"{url}/review", json={"approve": True}, headers=auth(staff))
    ).status_code == 200
    assert (await client.post(f"{url}/claim", headers=auth(volunteer))).status_code == 200
    resp = await client.post(
        f"{url}/done", json={"note": "已送到", "minutes_spent": 20}, headers=auth(volunteer)
    )
    assert resp.status_code == 200
    return wish


async def test_wish_waiting_for_confirmation_reaches_wechat_and_sms(client, session, providers):
    wechat, aliyun = providers
    tree = await make_tree(session)
    bound = await make_user(session, name="微信用户", home=tree.compound)
    bound.wechat_openid = "openid-bound"
    session.add(bound)
    unbound = await make_user(session, name="无微信", home=tree.compound)
    await session.commit()
    wish_a = await _wish_done(client, session, bound, tree)
    wish_b = await _wish_done(client, session, unbound, tree)

    sent = await push_service.deliver_pending(session)

    assert sent == 2
    assert [m["touser"] for m in wechat.subscribe_messages] == ["openid-bound"]
    message = wechat.subscribe_messages[0]
    assert message["template_id"] == "TPL-todo"
    assert message["page"].endswith(f"/wishes/{wish_a['id']}")
    assert "帮忙取快递" in message["data"]["thing1"]["value"] + message["data"]["thing2"]["value"]
    assert [(s["phone"], s["template"], s["sign"]) for s in aliyun.sent] == [
        (unbound.phone, "SMS_NOTICE", "党建e家")
    ]
    rows = (await session.exec(select(PushMessage).order_by(PushMessage.id))).all()
    assert [(r.channel, r.status, r.kind) for r in rows] == [
        ("wechat", "sent", "wish_done"),
        ("sms", "sent", "wish_done"),
    ]
    assert rows[1].link == f"/wishes/{wish_b['id']}"
    assert await push_service.deliver_pending(session) == 0  # nothing is sent twice


async def test_a_refused_subscribe_message_is_retried_then_failed(client, session, providers):
    wechat, _ = providers
    wechat.refusing.add("openid-no")
    tree = await make_tree(session)
    poster = await make_user(session, home=tree.compound)
    poster.wechat_openid = "openid-no"
    session.add(poster)
    await session.commit()
    await _wish_done(client, session, poster, tree)
    for _ in range(3):
        assert await push_service.deliver_pending(session) == 0
    row = (await session.exec(select(PushMessage))).one()
    assert (row.status, row.attempts) == ("failed", 3)
    assert "43101" in row.error


async def test_settings_turn_sms_off_and_news_on(client, session, providers):
    _, aliyun = providers
    tree = await make_tree(session)
    poster = await make_user(session, home=tree.compound)
    resp = await client.get(API, headers=auth(poster))
    assert resp.json() == {"wechat": True, "sms": True, "updates": False, "wechat_bound": False}
    resp = await client.patch(API, json={"sms": False}, headers=auth(poster))
    assert resp.status_code == 200
    assert resp.json()["sms"] is False
    await _wish_done(client, session, poster, tree)
    assert await push_service.deliver_pending(session) == 0
    assert aliyun.sent == []
    resp = await client.patch(API, json={"sms": "maybe"}, headers=auth(poster))
    assert resp.status_code == 422
    assert resp.json()["code"] == "validation_error"


async def test_aliyun_sign_in_code_is_signed_and_accepted(providers):
    _, aliyun = providers
    sender = sms_service.get_sender(get_settings())
    assert isinstance(sender, sms_service.AliyunSms)
    await sender.send_code("13800000001", "123456")
    assert aliyun.sent == [
        {"phone": "13800000001", "sign": "党建e家", "template": "SMS_CODE", "params": {"code": "123456"}}
    ]


async def test_aliyun_refuses_a_wrong_secret(providers, monkeypatch):
    monkeypatch.setattr(get_settings(), "aliyun_access_key_secret", "wrong")
    with pytest.raises(sms_service.SmsUnavailable):
        await sms_service.get_sender(get_settings()).send_code("13800000001", "123456")
    assert providers[1].sent == []
