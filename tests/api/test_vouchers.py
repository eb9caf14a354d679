"""A redemption is a voucher: a pickup code and the station's name, handed over once by its staff (issue 14, item 6)."""

from sqlmodel import select

from app.models.audit import AuditLog
from app.models.stations import Station
from tests.api.test_timebank import credit
from tests.factories import auth, make_tree, make_user

TB = "/api/v1/timebank"


async def _shelf(client, session, tree):
    master = await make_user(session, role=(tree.compound, "staff"))
    station = Station(
        org_id=tree.compound.id,
        name="幸福里红色驿站",
        address="幸福路1号",
        lat=30.1,
        lng=120.1,
        open_hours="8:00-18:00",
    )
    session.add(station)
    await session.commit()
    made = await client.post(
        f"{TB}/rewards",
        json={
            "org_id": tree.compound.id,
            "station_id": station.id,
            "name": "大米一袋",
            "price_minutes": 60,
            "stock": 5,
        },
        headers=auth(master),
    )
    assert made.status_code == 201, made.text
    return master, made.json()["id"]


async def test_a_redemption_gives_a_voucher_the_station_hands_over_once(client, session):
    tree = await make_tree(session)
    master, rid = await _shelf(client, session, tree)
    granny = await make_user(session, name="王秀英", home=tree.compound)
    await credit(session, tree.compound, granny, 120)
    redeemed = await client.post(
        f"{TB}/rewards/{rid}/redeem", headers={**auth(granny), "Idempotency-Key": "v1"}
    )
    assert redeemed.status_code == 201, redeemed.text
    code = redeemed.json()["pickup_code"]
    assert len(code) == 8 and code.isdigit()
    (voucher,) = (await client.get(f"{TB}/redemptions", headers=auth(granny))).json()
    assert (
        voucher["reward_name"],
        voucher["station_name"],
        voucher["station_open_hours"],
        voucher["status"],
    ) == (
        "大米一袋",
        "幸福里红色驿站",
        "8:00-18:00",
        "redeemed",
    )
    handed = await client.post(f"{TB}/redemptions/handover", json={"code": code}, headers=auth(master))
    assert handed.status_code == 200, handed.text
    assert (handed.json()["status"], handed.json()["holder"]) == ("handed_over", "王**")
    again = await client.post(f"{TB}/redemptions/handover", json={"code": code}, headers=auth(master))
    assert (again.status_code, again.json()["code"]) == (409, "already_handed_over")
    assert (await client.get(f"{TB}/redemptions", headers=auth(granny))).json()[0]["status"] == "handed_over"
    log = (await session.exec(select(AuditLog).where(AuditLog.action == "timebank.hand_over"))).one()
    assert (log.actor_id, log.on_behalf_of_id) == (master.id, granny.id)


async def test_only_staff_over_the_shelf_hand_over_and_bad_codes_are_clear(client, session):
    tree = await make_tree(session)
    _, rid = await _shelf(client, session, tree)
    granny = await make_user(session, home=tree.compound)
    await credit(session, tree.compound, granny, 120)
    code = (
        await client.post(f"{TB}/rewards/{rid}/redeem", headers={**auth(granny), "Idempotency-Key": "v"})
    ).json()["pickup_code"]
    for actor in (granny, await make_user(session, role=(tree.other_compound, "staff"))):
        resp = await client.post(f"{TB}/redemptions/handover", json={"code": code}, headers=auth(actor))
        assert (resp.status_code, resp.json()["code"]) == (404, "voucher_not_found")
    bad = await client.post(f"{TB}/redemptions/handover", json={"code": "12ab"}, headers=auth(granny))
    assert bad.status_code == 422
    assert bad.json()["code"] == "validation_error"


async def test_the_shelf_says_when_the_balance_is_short(client, session):
    tree = await make_tree(session)
    await _shelf(client, session, tree)
    newcomer = await make_user(session, home=tree.compound)
    page = await client.get("/timebank", headers=auth(newcomer))
    assert page.status_code == 200
    assert "余额不足" in page.text and "disabled" in page.text.split("余额不足")[0].rsplit("<button", 1)[1]
