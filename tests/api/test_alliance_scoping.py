"""Holes the authorization table (test_authz_table) found: a person belongs to one alliance, and another
alliance's wall and shelf are not theirs, whether they live somewhere or only hold a role there."""

from app.models.timebank import Reward
from app.services import ledger
from tests.factories import auth, make_tree, make_user

API = "/api/v1"


async def test_staff_of_another_alliance_neither_see_nor_claim_its_published_wishes(client, session):
    a = await make_tree(session)
    b = await make_tree(session)
    poster = await make_user(session, home=a.compound)
    staff = await make_user(session, role=(a.compound, "staff"))
    outsider = await make_user(session, role=(b.compound, "staff"))  # no home: belongs to B by their role
    body = {"title": "帮忙修水龙头", "category": "生活服务"}
    wid = (await client.post(f"{API}/wishes", json=body, headers=auth(poster))).json()["id"]
    await client.post(f"{API}/wishes/{wid}/review", json={"approve": True}, headers=auth(staff))

    assert (await client.get(f"{API}/wishes/{wid}", headers=auth(outsider))).status_code == 404
    listed = await client.get(f"{API}/wishes", params={"org_id": a.compound.id}, headers=auth(outsider))
    assert listed.json()["items"] == []
    claimed = await client.post(f"{API}/wishes/{wid}/claim", headers=auth(outsider))
    assert claimed.status_code == 404
    # someone who belongs nowhere yet still sees every wall; B's own staff see their own alliance
    newcomer = await make_user(session)
    assert (await client.get(f"{API}/wishes/{wid}", headers=auth(newcomer))).status_code == 200
    inside = await make_user(session, role=(a.other_compound, "staff"))
    assert (await client.get(f"{API}/wishes/{wid}", headers=auth(inside))).status_code == 200


async def test_minutes_of_another_alliance_do_not_buy_its_rewards(client, session):
    a = await make_tree(session)
    b = await make_tree(session)
    staff = await make_user(session, role=(a.compound, "staff"))
    made = await client.post(
        f"{API}/timebank/rewards",
        json={"org_id": a.compound.id, "name": "大米", "price_minutes": 10, "stock": 1},
        headers=auth(staff),
    )
    rid = made.json()["id"]
    outsider = await make_user(session, home=b.compound)
    await ledger.credit_service(
        session,
        org_id=b.compound.id,
        user_id=outsider.id,
        minutes=100,
        ref_type="wish",
        ref_id=1,
        memo="服务",
        actor_id=None,
    )
    await session.commit()
    resp = await client.post(
        f"{API}/timebank/rewards/{rid}/redeem", headers={**auth(outsider), "Idempotency-Key": "x"}
    )
    assert resp.status_code == 404
    assert resp.json()["code"] == "reward_not_found"
    assert (await session.get(Reward, rid)).stock == 1
    me = await client.get(f"{API}/timebank/me", headers=auth(outsider))
    assert me.json()["balance_minutes"] == 100
    # a resident of the reward's own alliance still redeems it
    insider = await make_user(session, home=a.other_compound)
    await ledger.credit_service(
        session,
        org_id=a.other_compound.id,
        user_id=insider.id,
        minutes=100,
        ref_type="wish",
        ref_id=2,
        memo="服务",
        actor_id=None,
    )
    await session.commit()
    ok = await client.post(
        f"{API}/timebank/rewards/{rid}/redeem", headers={**auth(insider), "Idempotency-Key": "y"}
    )
    assert ok.status_code == 201, ok.text
