"""POST /checkins: visits, forged/expired/replayed codes, printed cards with a location check."""

from datetime import timedelta

from sqlmodel import select

from app import clock
from app.models.stations import Checkin, Station
from app.services import qr
from tests.factories import auth, make_tree, make_user

SPOT = (34.2867, 119.2390)


async def _station(session, org, *, card=False) -> Station:
    station = Station(
        org_id=org.id, name="幸福里红色驿站", lat=SPOT[0], lng=SPOT[1], radius_m=100, card_enabled=card
    )
    session.add(station)
    await session.commit()
    return station


async def test_scan_records_a_visit_with_a_confirmation(client, session):
    tree = await make_tree(session)
    station = await _station(session, tree.compound)
    user = await make_user(session)
    token = qr.live_token("s", station.id, at=clock.now())[0]
    resp = await client.post("/api/v1/checkins", json={"token": token}, headers=auth(user))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["kind"], body["station_id"], body["duplicate"], body["place"]) == (
        "visit",
        station.id,
        False,
        "幸福里红色驿站",
    )
    assert body["message"] == "到站签到成功，欢迎来到幸福里红色驿站"


async def test_same_code_twice_returns_first_record_without_second_row(client, session):
    tree = await make_tree(session)
    station = await _station(session, tree.compound)
    user = await make_user(session)
    token = qr.live_token("s", station.id, at=clock.now())[0]
    first = await client.post("/api/v1/checkins", json={"token": token}, headers=auth(user))
    again = await client.post("/api/v1/checkins", json={"token": token}, headers=auth(user))
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["duplicate"]) == (first.json()["id"], True)
    assert len((await session.exec(select(Checkin))).all()) == 1


async def test_scan_url_and_short_code_are_accepted(client, session):
    tree = await make_tree(session)
    station = await _station(session, tree.compound)
    token, _, short = qr.live_token("s", station.id, at=clock.now())
    by_url = await client.post(
        "/api/v1/checkins", json={"token": qr.scan_url(token)}, headers=auth(await make_user(session))
    )
    assert by_url.json()["kind"] == "visit"
    by_short = await client.post(
        "/api/v1/checkins", json={"token": short.lower()}, headers=auth(await make_user(session))
    )
    assert by_short.json()["kind"] == "visit"


async def test_forged_token_is_400_invalid_token(client, session):
    tree = await make_tree(session)
    station = await _station(session, tree.compound)
    token = qr.live_token("s", station.id, at=clock.now())[0]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    resp = await client.post(
        "/api/v1/checkins", json={"token": forged}, headers=auth(await make_user(session))
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "invalid_token"


async def test_token_altered_to_another_station_is_invalid(client, session):
    tree = await make_tree(session)
    station = await _station(session, tree.compound)
    parts = qr.live_token("s", station.id, at=clock.now())[0].split(".")
    parts[2] = str(station.id + 1)
    resp = await client.post(
        "/api/v1/checkins", json={"token": ".".join(parts)}, headers=auth(await make_user(session))
    )
    assert resp.json()["code"] == "invalid_token"


async def test_photo_of_code_used_later_is_400_token_expired(client, session):
    tree = await make_tree(session)
    station = await _station(session, tree.compound)
    token = qr.live_token("s", station.id, at=clock.now())[0]
    clock.travel(timedelta(seconds=95))
    resp = await client.post(
        "/api/v1/checkins", json={"token": token}, headers=auth(await make_user(session))
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "token_expired"
    assert resp.json()["title"] == "二维码已过期"


async def test_previous_window_is_still_accepted(client, session):
    tree = await make_tree(session)
    station = await _station(session, tree.compound)
    token = qr.live_token("s", station.id, at=clock.now())[0]
    clock.travel(timedelta(seconds=30))
    resp = await client.post(
        "/api/v1/checkins", json={"token": token}, headers=auth(await make_user(session))
    )
    assert resp.status_code == 200


async def test_garbage_is_invalid_token(client, session):
    resp = await client.post(
        "/api/v1/checkins", json={"token": "hello world"}, headers=auth(await make_user(session))
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "invalid_token"


async def test_no_login_is_401(client):
    resp = await client.post("/api/v1/checkins", json={"token": "v1.s.1.1.x"})
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"


async def test_card_scan_near_station_counts_and_keeps_only_the_distance(client, session):
    tree = await make_tree(session)
    station = await _station(session, tree.compound, card=True)
    resp = await client.post(
        "/api/v1/checkins",
        json={"token": qr.card_token(station.id), "lat": 34.2870, "lng": 119.2390, "accuracy": 15},
        headers=auth(await make_user(session)),
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["distance_m"] == 33
    row = (await session.exec(select(Checkin))).one()
    assert row.distance_m == 33
    assert not hasattr(row, "lat")


async def test_card_scan_without_location_is_400(client, session):
    tree = await make_tree(session)
    station = await _station(session, tree.compound, card=True)
    resp = await client.post(
        "/api/v1/checkins", json={"token": qr.card_token(station.id)}, headers=auth(await make_user(session))
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "location_required"


async def test_card_scan_from_home_is_409_too_far(client, session):
    tree = await make_tree(session)
    station = await _station(session, tree.compound, card=True)
    resp = await client.post(
        "/api/v1/checkins",
        json={"token": qr.card_token(station.id), "lat": 34.30, "lng": 119.2390, "accuracy": 10},
        headers=auth(await make_user(session)),
    )
    assert resp.status_code == 409
    assert (resp.json()["code"], resp.json()["distance_m"]) == ("too_far_from_station", 1479)


async def test_card_of_station_without_cards_is_409(client, session):
    tree = await make_tree(session)
    station = await _station(session, tree.compound, card=False)
    resp = await client.post(
        "/api/v1/checkins",
        json={"token": qr.card_token(station.id), "lat": SPOT[0], "lng": SPOT[1]},
        headers=auth(await make_user(session)),
    )
    assert resp.status_code == 409
    assert resp.json()["code"] == "card_not_enabled"


async def test_my_checkins_lists_own_scans(client, session):
    tree = await make_tree(session)
    station = await _station(session, tree.compound)
    user = await make_user(session)
    await client.post(
        "/api/v1/checkins",
        json={"token": qr.live_token("s", station.id, at=clock.now())[0]},
        headers=auth(user),
    )
    mine = (await client.get("/api/v1/checkins/mine", headers=auth(user))).json()
    assert [(c["kind"], c["place"]) for c in mine] == [("visit", "幸福里红色驿站")]


async def test_card_scan_with_browser_gps_is_converted_to_gcj02(client, session):
    from app.services.stations import wgs84_to_gcj02

    tree = await make_tree(session)
    station = await _station(session, tree.compound, card=True)
    # The phone's GPS reading of the spot lies ~500 m off the map until converted.
    gps = (SPOT[0] - (wgs84_to_gcj02(*SPOT)[0] - SPOT[0]), SPOT[1] - (wgs84_to_gcj02(*SPOT)[1] - SPOT[1]))
    resp = await client.post(
        "/api/v1/checkins",
        json={
            "token": qr.card_token(station.id),
            "lat": gps[0],
            "lng": gps[1],
            "accuracy": 20,
            "coord_type": "wgs84",
        },
        headers=auth(await make_user(session)),
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["distance_m"] < 5


async def test_scan_page_renders_with_typed_code_form(client, session):
    user = await make_user(session)
    page = await client.get("/scan?t=v1.s.1.2.x", headers=auth(user))
    assert page.status_code == 200
    assert 'data-token="v1.s.1.2.x"' in page.text
    assert "jweixin" not in page.text
    wechat = await client.get("/scan", headers={**auth(user), "User-Agent": "Mozilla/5.0 MicroMessenger/8.0"})
    assert "jweixin" in wechat.text
    config = await client.get("/scan/wx-config?url=http://localhost:8000/scan", headers=auth(user))
    assert config.status_code == 404


async def test_guessing_short_codes_is_paused_after_ten_misses(client, session):
    tree = await make_tree(session)
    station = await _station(session, tree.compound)
    guesser = await make_user(session)
    real = qr.live_token("s", station.id, at=clock.now())[2]
    wrong = [f"S{station.id}-{n:06d}" for n in range(20) if f"S{station.id}-{n:06d}" != real][:10]
    for guess in wrong:
        resp = await client.post("/api/v1/checkins", json={"token": guess}, headers=auth(guesser))
        assert resp.json()["code"] == "invalid_token"
    paused = await client.post("/api/v1/checkins", json={"token": real}, headers=auth(guesser))
    assert paused.status_code == 429
    assert paused.json()["code"] == "too_many_attempts"
    scanned = await client.post(
        "/api/v1/checkins",
        json={"token": qr.live_token("s", station.id, at=clock.now())[0]},
        headers=auth(guesser),
    )
    assert scanned.status_code == 200
    clock.travel(timedelta(minutes=11))
    later = qr.live_token("s", station.id, at=clock.now())[2]
    assert (
        await client.post("/api/v1/checkins", json={"token": later}, headers=auth(guesser))
    ).status_code == 200
