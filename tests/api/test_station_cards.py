"""Printed station cards record a visit only; duties need the live code; a re-issue revokes old cards."""

from datetime import timedelta

from sqlmodel import select

from app import clock
from app.models.audit import AuditLog
from app.services import qr
from tests.api.test_stations import NEAR, _shift, _station
from tests.factories import auth, make_tree, make_user


def _card_scan(token: str) -> dict:
    return {"token": token, "lat": NEAR[0], "lng": NEAR[1], "accuracy": 10}


async def test_card_scan_during_ones_shift_is_a_visit_and_the_live_code_starts_the_duty(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.compound, "staff"))
    station = await _station(session, tree.compound, card=True)
    shift = await _shift(client, station, staff, starts_in=timedelta(minutes=5), hours=2)
    member = await make_user(session, party="retired")
    await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=auth(member))

    by_card = await client.post(
        "/api/v1/checkins", json=_card_scan(qr.card_token(station.id)), headers=auth(member)
    )
    assert by_card.status_code == 200, by_card.text
    assert (by_card.json()["kind"], by_card.json()["shift_id"]) == ("visit", None)

    clock.travel(timedelta(hours=3))  # a second card scan after the shift: still no duty, nothing credited
    again = await client.post(
        "/api/v1/checkins", json=_card_scan(qr.card_token(station.id)), headers=auth(member)
    )
    assert (again.json()["kind"], again.json()["credited_minutes"]) == ("visit", None)
    clock.reset()

    live = await client.post(
        "/api/v1/checkins",
        json={"token": qr.live_token("s", station.id, at=clock.now())[0]},
        headers=auth(member),
    )
    assert live.json()["kind"] == "duty_start"


async def test_reissued_card_revokes_the_old_one(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.compound, "staff"))
    station = await _station(session, tree.compound, card=True)
    old = (await client.get(f"/api/v1/stations/{station.id}/card", headers=auth(staff))).json()["token"]

    reissued = await client.post(f"/api/v1/stations/{station.id}/card/reissue", headers=auth(staff))
    assert reissued.status_code == 200, reissued.text
    new = reissued.json()["token"]
    assert new == qr.card_token(station.id, 1) != old
    assert (await client.get(f"/api/v1/stations/{station.id}/card", headers=auth(staff))).json()[
        "token"
    ] == new

    visitor = await make_user(session)
    refused = await client.post("/api/v1/checkins", json=_card_scan(old), headers=auth(visitor))
    assert refused.status_code == 400
    assert refused.json()["code"] == "card_revoked"
    accepted = await client.post("/api/v1/checkins", json=_card_scan(new), headers=auth(visitor))
    assert (accepted.status_code, accepted.json()["kind"]) == (200, "visit")

    logged = (await session.exec(select(AuditLog).where(AuditLog.action == "station.card_reissued"))).one()
    assert (logged.actor_id, logged.object_id, logged.detail) == (staff.id, station.id, {"card_version": 1})


async def test_a_resident_cannot_reissue_a_card(client, session):
    tree = await make_tree(session)
    station = await _station(session, tree.compound, card=True)
    resident = await make_user(session, home=tree.compound)
    resp = await client.post(f"/api/v1/stations/{station.id}/card/reissue", headers=auth(resident))
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"


async def test_admin_page_offers_the_reissue_button(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.compound, "staff"))
    station = await _station(session, tree.compound, card=True)
    page = await client.get("/admin/stations", headers=auth(staff))
    assert page.status_code == 200
    assert f'data-card-reissue="{station.id}"' in page.text
