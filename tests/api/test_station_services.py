"""A station's service log: its master, deputies and staff record services with a count; others may not."""

import pytest

from app.models.stations import Station, StationDeputy
from tests.factories import auth, make_tree, make_user


async def _station(session, tree):
    master = await make_user(session, name="站长")
    deputy = await make_user(session, name="副站长")
    station = Station(
        org_id=tree.compound.id, name="幸福里红色驿站", lat=34.28, lng=119.23, master_id=master.id
    )
    session.add(station)
    await session.flush()
    session.add(StationDeputy(station_id=station.id, user_id=deputy.id))
    await session.commit()
    return station, master, deputy


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("master", 201),
        ("deputy", 201),
        ("compound_staff", 201),
        ("other_staff", 403),
        ("resident", 403),
    ],
)
async def test_who_may_log_and_read_services(client, session, who, status):
    tree = await make_tree(session)
    station, master, deputy = await _station(session, tree)
    actor = {
        "master": master,
        "deputy": deputy,
        "compound_staff": await make_user(session, role=(tree.compound, "staff")),
        "other_staff": await make_user(session, role=(tree.other_community, "staff")),
        "resident": await make_user(session),
    }[who]
    resp = await client.post(
        f"/api/v1/stations/{station.id}/services", json={"kind": "理发", "count": 3}, headers=auth(actor)
    )
    assert resp.status_code == status, resp.text
    listed = await client.get(f"/api/v1/stations/{station.id}/services", headers=auth(actor))
    assert listed.status_code == (200 if status == 201 else 403)


async def test_log_with_person_masks_phone_for_master_and_counts_totals(client, session):
    tree = await make_tree(session)
    station, master, _ = await _station(session, tree)
    staff = await make_user(session, role=(tree.compound, "staff"))
    resp = await client.post(
        f"/api/v1/stations/{station.id}/services",
        json={"kind": "调解", "count": 1, "note": "邻里噪音纠纷", "user_phone": "13811112222"},
        headers=auth(master),
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["user"]["phone"] == "138****2222"
    await client.post(
        f"/api/v1/stations/{station.id}/services",
        json={"kind": "骑手歇脚", "count": 12},
        headers=auth(master),
    )
    await client.post(
        f"/api/v1/stations/{station.id}/services", json={"kind": "调解", "count": 2}, headers=auth(master)
    )
    seen = (await client.get(f"/api/v1/stations/{station.id}/services", headers=auth(staff))).json()["items"]
    assert [(s["kind"], s["count"]) for s in seen] == [("调解", 2), ("骑手歇脚", 12), ("调解", 1)]
    assert seen[2]["user"]["phone"] == "13811112222"
    totals = (await client.get(f"/api/v1/stations/{station.id}/services/totals", headers=auth(master))).json()
    assert totals == [{"kind": "骑手歇脚", "count": 12}, {"kind": "调解", "count": 3}]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"kind": "", "count": 1}, "validation_error"),
        ({"kind": "理发", "count": 0}, "validation_error"),
        ({"kind": "理发", "count": "3"}, "validation_error"),
        ({"kind": "理发", "count": 1, "user_phone": "12345"}, "validation_error"),
        ({"kind": "理发", "count": 1, "served_on": "2999-01-01"}, "validation_error"),
    ],
)
async def test_bad_service_entries_are_422(client, session, data, code):
    tree = await make_tree(session)
    station, master, _ = await _station(session, tree)
    resp = await client.post(f"/api/v1/stations/{station.id}/services", json=data, headers=auth(master))
    assert (resp.status_code, resp.json()["code"]) == (422, code), resp.text


async def test_future_service_is_refused_and_unknown_station_is_404(client, session):
    from datetime import timedelta

    from app import clock

    tree = await make_tree(session)
    station, master, _ = await _station(session, tree)
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    resp = await client.post(
        f"/api/v1/stations/{station.id}/services",
        json={"kind": "理发", "count": 1, "served_on": tomorrow},
        headers=auth(master),
    )
    assert (resp.status_code, resp.json()["code"]) == (422, "future_service")
    resp = await client.post("/api/v1/stations/999999/services", json={"kind": "理发"}, headers=auth(master))
    assert resp.status_code == 404
    assert resp.json()["code"] == "station_not_found"


async def test_services_posts_and_teams_count_in_the_figures(client, session):
    from app import clock

    tree = await make_tree(session)
    station, master, _ = await _station(session, tree)
    staff = await make_user(session, role=(tree.community, "staff"))
    member = await make_user(session, home=tree.compound, party="retired")
    await client.post(
        f"/api/v1/stations/{station.id}/services", json={"kind": "理发", "count": 5}, headers=auth(master)
    )
    await client.post(
        f"/api/v1/stations/{station.id}/services", json={"kind": "调解", "count": 2}, headers=auth(master)
    )
    await client.post(
        "/api/v1/demonstration-posts",
        json={
            "user_id": member.id,
            "title": "示范岗",
            "duty": "调解",
            "starts_on": clock.today().isoformat(),
        },
        headers=auth(staff),
    )
    await client.post(
        "/api/v1/teams",
        json={"name": "志愿服务队", "kind": "volunteer", "org_id": tree.compound.id, "leader_id": member.id},
        headers=auth(staff),
    )
    here = (await client.get(f"/api/v1/orgs/{tree.community.id}/stats", headers=auth(staff))).json()
    assert (here["station_services"], here["demonstration_posts"], here["teams"]) == (7, 1, 1)
    admin = await make_user(session, role=(tree.alliance, "admin"))
    there = (await client.get(f"/api/v1/orgs/{tree.other_community.id}/stats", headers=auth(admin))).json()
    assert (there["station_services"], there["demonstration_posts"], there["teams"]) == (0, 0, 0)
