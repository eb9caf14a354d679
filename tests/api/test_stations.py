"""Stations and duty shifts through the API: registration, nearest first, live codes, roster, duty by scan."""

from datetime import timedelta

from sqlmodel import select

from app import clock
from app.models.audit import AuditLog
from app.models.stations import Checkin, ShiftSignup, Station
from app.services import qr
from tests.factories import auth, make_tree, make_user, problem_code

# GCJ-02 points in 灌云县 (roughly 300 m and 2 km from HERE).
HERE = (34.2840, 119.2390)
NEAR = (34.2867, 119.2390)
FAR = (34.3020, 119.2390)


async def _station(session, org, *, name="幸福里红色驿站", at=NEAR, master=None, card=False) -> Station:
    station = Station(
        org_id=org.id,
        name=name,
        address="幸福路1号",
        lat=at[0],
        lng=at[1],
        services=["饮水", "充电"],
        open_hours="8:00-20:00",
        master_id=master.id if master else None,
        card_enabled=card,
    )
    session.add(station)
    await session.commit()
    return station


async def test_admin_creates_station_with_master_and_deputies(client, session):
    tree = await make_tree(session)
    admin = await make_user(session, role=(tree.community, "admin"))
    body = {
        "name": "幸福里红色驿站",
        "org_id": tree.compound.id,
        "address": "幸福路1号",
        "lat": NEAR[0],
        "lng": NEAR[1],
        "services": ["饮水", "充电", "饮水"],
        "open_hours": "8:00-20:00",
        "master_phone": "13912340001",
        "deputy_phones": ["13912340002"],
    }
    resp = await client.post("/api/v1/stations", json=body, headers=auth(admin))
    assert resp.status_code == 201, resp.text
    data = resp.json()
    assert data["services"] == ["饮水", "充电"]
    assert data["status"] == "open"
    assert data["master"]["phone"] == "13912340001"
    assert [d["phone"] for d in data["deputies"]] == ["13912340002"]
    logs = (await session.exec(select(AuditLog).where(AuditLog.action == "station.create"))).all()
    assert [log.object_id for log in logs] == [data["id"]]


async def test_staff_cannot_create_station_403(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    body = {"name": "驿站", "org_id": tree.compound.id, "lat": NEAR[0], "lng": NEAR[1]}
    resp = await client.post("/api/v1/stations", json=body, headers=auth(staff))
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"


async def test_bad_latitude_is_422_naming_the_field(client, session):
    tree = await make_tree(session)
    admin = await make_user(session, role=(tree.community, "admin"))
    resp = await client.post(
        "/api/v1/stations",
        json={"name": "驿站", "org_id": tree.compound.id, "lat": 134, "lng": 1},
        headers=auth(admin),
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "validation_error"
    assert [e["field"] for e in resp.json()["errors"]] == ["lat"]


async def test_near_sorts_by_distance_and_returns_distance_m(client, session):
    tree = await make_tree(session)
    far = await _station(session, tree.compound, name="远站", at=FAR)
    near = await _station(session, tree.compound, name="近站", at=NEAR)
    user = await make_user(session)
    resp = await client.get(f"/api/v1/stations?near={HERE[0]},{HERE[1]}", headers=auth(user))
    assert resp.status_code == 200
    items = resp.json()["items"]
    assert [s["id"] for s in items] == [near.id, far.id]
    assert items[0]["distance_m"] == 300
    assert items[1]["distance_m"] == 2002


async def test_near_pages_with_cursor(client, session):
    tree = await make_tree(session)
    far = await _station(session, tree.compound, name="远站", at=FAR)
    near = await _station(session, tree.compound, name="近站", at=NEAR)
    user = await make_user(session)
    first = (
        await client.get(f"/api/v1/stations?near={HERE[0]},{HERE[1]}&limit=1", headers=auth(user))
    ).json()
    assert [s["id"] for s in first["items"]] == [near.id]
    second = (
        await client.get(
            f"/api/v1/stations?near={HERE[0]},{HERE[1]}&limit=1&cursor={first['next_cursor']}",
            headers=auth(user),
        )
    ).json()
    assert [s["id"] for s in second["items"]] == [far.id]
    assert second["next_cursor"] is None


async def test_org_filter_keeps_the_subtree(client, session):
    tree = await make_tree(session)
    mine = await _station(session, tree.compound, name="本社区")
    await _station(session, tree.other_compound, name="别的社区")
    user = await make_user(session)
    resp = await client.get(f"/api/v1/stations?org_id={tree.community.id}", headers=auth(user))
    assert [s["id"] for s in resp.json()["items"]] == [mine.id]


async def test_master_phone_masked_for_residents_full_for_staff(client, session):
    tree = await make_tree(session)
    master = await make_user(session, phone="13912345678")
    station = await _station(session, tree.compound, master=master)
    resident = await make_user(session)
    staff = await make_user(session, role=(tree.compound, "staff"))
    seen = (await client.get(f"/api/v1/stations/{station.id}", headers=auth(resident))).json()
    assert seen["master"]["phone"] == "139****5678"
    seen = (await client.get(f"/api/v1/stations/{station.id}", headers=auth(staff))).json()
    assert seen["master"]["phone"] == "13912345678"


async def test_unknown_station_is_404(client, session):
    user = await make_user(session)
    resp = await client.get("/api/v1/stations/999999", headers=auth(user))
    assert resp.status_code == 404
    assert resp.json()["code"] == "station_not_found"


async def test_master_gets_live_qr_and_svg_resident_gets_403(client, session):
    tree = await make_tree(session)
    master = await make_user(session)
    station = await _station(session, tree.compound, master=master)
    resp = await client.get(f"/api/v1/stations/{station.id}/qr", headers=auth(master))
    assert resp.status_code == 200
    body = resp.json()
    assert qr.read(body["token"], at=clock.now()) == qr.Code("s", station.id, qr.window_of(clock.now()))
    assert body["url"].endswith(f"/scan?t={body['token']}")
    svg = await client.get(f"/api/v1/stations/{station.id}/qr.svg", headers=auth(master))
    assert svg.headers["content-type"] == "image/svg+xml"
    assert svg.text.startswith("<svg")
    resident = await make_user(session)
    assert (
        problem_code(await client.get(f"/api/v1/stations/{station.id}/qr", headers=auth(resident)), 403)
        == "forbidden"
    )


async def test_master_closes_station_then_scan_is_409(client, session):
    tree = await make_tree(session)
    master = await make_user(session)
    station = await _station(session, tree.compound, master=master)
    resp = await client.patch(
        f"/api/v1/stations/{station.id}", json={"status": "closed"}, headers=auth(master)
    )
    assert resp.status_code == 200
    token = qr.live_token("s", station.id, at=clock.now())[0]
    scan = await client.post(
        "/api/v1/checkins", json={"token": token}, headers=auth(await make_user(session))
    )
    assert scan.status_code == 409
    assert scan.json()["code"] == "station_closed"


async def test_master_cannot_move_station_403(client, session):
    tree = await make_tree(session)
    master = await make_user(session)
    station = await _station(session, tree.compound, master=master)
    resp = await client.patch(f"/api/v1/stations/{station.id}", json={"lat": 30.0}, headers=auth(master))
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"


def _iso(dt):
    return dt.isoformat()


async def _shift(client, station, staff, *, starts_in=timedelta(hours=1), hours=2, capacity=2):
    start = clock.now() + starts_in
    resp = await client.post(
        f"/api/v1/stations/{station.id}/shifts",
        json={
            "starts_at": _iso(start),
            "ends_at": _iso(start + timedelta(hours=hours)),
            "capacity": capacity,
        },
        headers=auth(staff),
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


async def test_shift_signup_until_full_then_409(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.compound, "staff"))
    station = await _station(session, tree.compound)
    shift = await _shift(client, station, staff, capacity=1)
    first = await make_user(session, party="retired")
    resp = await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=auth(first))
    assert resp.status_code == 200
    again = await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=auth(first))
    assert again.json()["id"] == resp.json()["id"]
    full = await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=auth(await make_user(session)))
    assert full.status_code == 409
    assert full.json()["code"] == "shift_full"
    listed = (await client.get(f"/api/v1/stations/{station.id}/shifts", headers=auth(first))).json()
    assert [(s["signed_up"], s["mine"]) for s in listed] == [(1, True)]


async def test_resident_cannot_add_shift_403(client, session):
    tree = await make_tree(session)
    station = await _station(session, tree.compound)
    start = clock.now()
    resp = await client.post(
        f"/api/v1/stations/{station.id}/shifts",
        json={"starts_at": _iso(start), "ends_at": _iso(start + timedelta(hours=1)), "capacity": 1},
        headers=auth(await make_user(session)),
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"


async def test_shift_ending_before_start_is_422(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.compound, "staff"))
    station = await _station(session, tree.compound)
    start = clock.now()
    resp = await client.post(
        f"/api/v1/stations/{station.id}/shifts",
        json={"starts_at": _iso(start), "ends_at": _iso(start - timedelta(hours=1)), "capacity": 1},
        headers=auth(staff),
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "validation_error"


async def test_duty_start_and_end_by_scan_credits_served_minutes_once(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.compound, "staff"))
    station = await _station(session, tree.compound)
    shift = await _shift(client, station, staff, starts_in=timedelta(minutes=10), hours=2)
    member = await make_user(session, party="retired")
    await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=auth(member))
    start = await client.post(
        "/api/v1/checkins",
        json={"token": qr.live_token("s", station.id, at=clock.now())[0]},
        headers=auth(member),
    )
    assert start.json()["kind"] == "duty_start"
    clock.travel(timedelta(hours=3))  # stays past the shift's end: only the shift's 2 hours count
    end = await client.post(
        "/api/v1/checkins",
        json={"token": qr.live_token("s", station.id, at=clock.now())[0]},
        headers=auth(member),
    )
    assert end.status_code == 200
    assert end.json()["kind"] == "duty_end"
    assert end.json()["credited_minutes"] == 120
    row = (await session.exec(select(ShiftSignup))).one()
    assert (row.served_minutes, row.credited) == (120, True)
    closed = await client.post(f"/api/v1/shifts/{shift['id']}/close", headers=auth(staff))
    assert closed.json() == {"shift_id": shift["id"], "credited": 0, "no_shows": 0}


async def test_staff_close_credits_unended_duty_and_records_no_show(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.compound, "staff"))
    station = await _station(session, tree.compound)
    shift = await _shift(client, station, staff, starts_in=timedelta(minutes=0), hours=1)
    worker, absent = await make_user(session), await make_user(session)
    for person in (worker, absent):
        await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=auth(person))
    await client.post(
        "/api/v1/checkins",
        json={"token": qr.live_token("s", station.id, at=clock.now())[0]},
        headers=auth(worker),
    )
    clock.travel(timedelta(hours=5))
    closed = await client.post(f"/api/v1/shifts/{shift['id']}/close", headers=auth(staff))
    assert closed.json() == {"shift_id": shift["id"], "credited": 1, "no_shows": 1}
    again = await client.post(f"/api/v1/shifts/{shift['id']}/close", headers=auth(staff))
    assert again.json() == {"shift_id": shift["id"], "credited": 0, "no_shows": 0}
    served = {
        r.user_id: (r.served_minutes, r.no_show) for r in (await session.exec(select(ShiftSignup))).all()
    }
    assert served == {worker.id: (60, False), absent.id: (None, True)}  # 59 min rounds to the unit


async def test_double_scan_at_duty_start_does_not_end_the_duty(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.compound, "staff"))
    station = await _station(session, tree.compound)
    shift = await _shift(client, station, staff, starts_in=timedelta(minutes=0), hours=1)
    member = await make_user(session)
    await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=auth(member))
    first = await client.post(
        "/api/v1/checkins",
        json={"token": qr.live_token("s", station.id, at=clock.now())[0]},
        headers=auth(member),
    )
    clock.travel(timedelta(seconds=40))
    second = await client.post(
        "/api/v1/checkins",
        json={"token": qr.live_token("s", station.id, at=clock.now())[0]},
        headers=auth(member),
    )
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["duplicate"] is True
    assert len((await session.exec(select(Checkin))).all()) == 1


async def test_station_stats_count_visits_per_day(client, session):
    tree = await make_tree(session)
    master = await make_user(session)
    station = await _station(session, tree.compound, master=master)
    for _ in range(3):
        token = qr.live_token("s", station.id, at=clock.now())[0]
        resp = await client.post(
            "/api/v1/checkins", json={"token": token}, headers=auth(await make_user(session))
        )
        assert resp.status_code == 200
    stats = (await client.get(f"/api/v1/stations/{station.id}/stats", headers=auth(master))).json()
    assert stats["visits"] == 3
    assert [d["visits"] for d in stats["visits_per_day"]] == [3]
    assert stats["live_count"] == 3
    assert stats["duty_minutes"] == 0


async def test_station_pages_render_for_resident_and_master(client, session):
    tree = await make_tree(session)
    master = await make_user(session)
    station = await _station(session, tree.compound, master=master)
    resident = await make_user(session)
    listed = await client.get(f"/stations?near={HERE[0]},{HERE[1]}&coord=wgs84", headers=auth(resident))
    assert listed.status_code == 200
    assert "幸福里红色驿站" in listed.text
    detail = await client.get(f"/stations/{station.id}", headers=auth(resident))
    assert "饮水" in detail.text
    assert "签到大屏" not in detail.text
    assert (await client.get(f"/stations/{station.id}/screen", headers=auth(resident))).status_code == 403
    screen = await client.get(f"/stations/{station.id}/screen", headers=auth(master))
    assert screen.status_code == 200
    assert "<svg" in screen.text
    live = (await client.get(f"/stations/{station.id}/screen/live", headers=auth(master))).json()
    assert (live["count"], live["short_code"].startswith(f"S{station.id}-")) == (0, True)
    assert (await client.get("/admin/stations", headers=auth(master))).status_code == 200
    assert (await client.get("/admin/stations", headers=auth(resident))).status_code == 403


def test_wgs84_point_is_moved_onto_the_gcj02_map():
    from app.services.stations import wgs84_to_gcj02

    lat, lng = wgs84_to_gcj02(39.908, 116.397)
    assert (round(lat, 4), round(lng, 4)) == (39.9094, 116.4032)
    assert wgs84_to_gcj02(48.85, 2.35) == (48.85, 2.35)


async def test_overdue_shift_closes_itself_crediting_the_duty_once(client, session):
    from app.services import shifts as shifts_service

    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.compound, "staff"))
    station = await _station(session, tree.compound)
    shift = await _shift(client, station, staff, starts_in=timedelta(minutes=0), hours=1)
    worker, absent = await make_user(session), await make_user(session)
    for person in (worker, absent):
        await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=auth(person))
    await client.post(
        "/api/v1/checkins",
        json={"token": qr.live_token("s", station.id, at=clock.now())[0]},
        headers=auth(worker),
    )
    clock.travel(timedelta(hours=2))
    assert await shifts_service.close_overdue_shifts(session) == 0  # still inside the scan-out grace
    clock.travel(timedelta(hours=2))
    assert await shifts_service.close_overdue_shifts(session) == 1
    assert await shifts_service.close_overdue_shifts(session) == 0
    served = {
        r.user_id: (r.served_minutes, r.no_show) for r in (await session.exec(select(ShiftSignup))).all()
    }
    assert served == {worker.id: (60, False), absent.id: (None, True)}  # 59 min rounds to the unit


async def test_home_page_picks_stations_of_the_users_community(session):
    from app.services import stations as stations_service

    tree = await make_tree(session)
    mine = await _station(session, tree.compound, name="本社区驿站")
    await _station(session, tree.other_compound, name="别处驿站")
    user = await make_user(session, home=tree.grid)
    found = await stations_service.nearest_for_user(session, user=user)
    assert [s.id for s in found] == [mine.id]
    by_place = await stations_service.nearest_for_user(session, user=user, near=f"{FAR[0]},{FAR[1]}", limit=1)
    assert [s.name for s in by_place] == ["本社区驿站"]


async def test_malformed_near_is_422_invalid_near(client, session):
    user = await make_user(session)
    resp = await client.get("/api/v1/stations?near=here", headers=auth(user))
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid_near"


async def test_printed_card_only_where_enabled(client, session):
    tree = await make_tree(session)
    master = await make_user(session)
    plain = await _station(session, tree.compound, master=master)
    carded = await _station(session, tree.compound, master=master, card=True)
    refused = await client.get(f"/api/v1/stations/{plain.id}/card", headers=auth(master))
    assert (refused.status_code, refused.json()["code"]) == (409, "card_not_enabled")
    card = (await client.get(f"/api/v1/stations/{carded.id}/card", headers=auth(master))).json()
    assert card["token"] == qr.card_token(carded.id)
    svg = await client.get(f"/api/v1/stations/{carded.id}/card.svg", headers=auth(master))
    assert svg.headers["content-type"] == "image/svg+xml"


async def test_patch_null_for_a_required_field_is_422_and_leaves_the_station(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.compound, "staff"))
    station = await _station(session, tree.compound)
    for field in ("name", "radius_m", "services", "lat"):
        resp = await client.patch(f"/api/v1/stations/{station.id}", json={field: None}, headers=auth(staff))
        assert resp.status_code == 422, field
        assert resp.json()["errors"] == [
            {"field": field, "code": "null_not_allowed", "message": "此项不能为空"}
        ]
    resp = await client.get(f"/api/v1/stations/{station.id}", headers=auth(staff))
    assert resp.status_code == 200
    assert (resp.json()["name"], resp.json()["radius_m"], resp.json()["services"]) == (
        "幸福里红色驿站",
        150,
        ["饮水", "充电"],
    )


async def test_station_stats_period_without_offset_or_at_year_one_is_422(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.compound, "staff"))
    station = await _station(session, tree.compound)
    for query, field, code in (
        ("from=2026-11-01T00:00:00", "from", "timezone_aware"),
        ("to=0001-01-05T00:00:00Z", "to", "date_out_of_range"),
    ):
        resp = await client.get(f"/api/v1/stations/{station.id}/stats?{query}", headers=auth(staff))
        assert resp.status_code == 422, query
        assert [(e["field"], e["code"]) for e in resp.json()["errors"]] == [(field, code)]


async def test_a_station_has_a_public_number_to_call_and_is_open_by_its_hours(client, session):
    from datetime import datetime

    from app import clock
    from app.clock import CHINA

    tree = await make_tree(session)
    admin = await make_user(session, role=(tree.community, "admin"))
    body = {
        "org_id": tree.compound.id,
        "name": "幸福里红色驿站",
        "lat": 30.27,
        "lng": 120.15,
        "open_hours": "周一至周五 8:00-18:00",
        "phone": "0571-8888 1234",
    }
    bad = await client.post("/api/v1/stations", json=body, headers=auth(admin))
    assert bad.status_code == 422
    assert bad.json()["code"] == "validation_error"
    made = await client.post("/api/v1/stations", json={**body, "phone": "0571-88881234"}, headers=auth(admin))
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    clock.travel(datetime(2026, 12, 2, 10, 0, tzinfo=CHINA) - clock.now())  # a Wednesday morning
    open_ = (await client.get(f"/api/v1/stations/{sid}", headers=auth(admin))).json()
    assert (open_["phone"], open_["open_now"]) == ("0571-88881234", True)
    clock.travel(datetime(2026, 12, 5, 10, 0, tzinfo=CHINA) - clock.now())  # Saturday
    page = await client.get(f"/stations/{sid}", headers=auth(admin))
    assert "休息中" in page.text
    assert 'href="tel:057188881234"' in page.text and "uri.amap.com/marker?position=120.15,30.27" in page.text
