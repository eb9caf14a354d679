"""Demonstration posts (党员示范岗): staff over the member's home or the station give them; everyone
sees the list, never a phone number; they show on the record card."""

from datetime import date, timedelta

import pytest

from app import clock
from app.models.stations import Station
from tests.factories import auth, make_tree, make_user


async def _station(session, org, master=None) -> Station:
    station = Station(
        org_id=org.id, name="幸福里红色驿站", lat=34.28, lng=119.23, master_id=master.id if master else None
    )
    session.add(station)
    await session.commit()
    return station


def body(**kw):
    return {"title": "党员示范岗", "duty": "为邻里调解纠纷", "starts_on": clock.today().isoformat()} | kw


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("compound_staff", 201),
        ("community_admin", 201),
        ("other_community_staff", 403),
        ("station_master", 403),
        ("resident", 403),
    ],
)
async def test_who_may_give_a_demonstration_post(client, session, who, status):
    tree = await make_tree(session)
    member = await make_user(session, name="李党员", home=tree.grid, party="in_service")
    roles = {
        "compound_staff": (tree.compound, "staff"),
        "community_admin": (tree.community, "admin"),
        "other_community_staff": (tree.other_community, "staff"),
        "station_master": None,
        "resident": None,
    }
    actor = await make_user(session, role=roles[who])
    resp = await client.post("/api/v1/demonstration-posts", json=body(user_id=member.id), headers=auth(actor))
    assert resp.status_code == status, resp.text


async def test_station_post_needs_staff_over_the_station(client, session):
    tree = await make_tree(session)
    master = await make_user(session)
    station = await _station(session, tree.compound, master)
    resp = await client.post(
        "/api/v1/demonstration-posts", json=body(station_id=station.id), headers=auth(master)
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"
    staff = await make_user(session, role=(tree.compound, "staff"))
    resp = await client.post(
        "/api/v1/demonstration-posts", json=body(station_id=station.id), headers=auth(staff)
    )
    assert resp.status_code == 201, resp.text
    got = resp.json()
    assert (got["station"], got["user"], got["org_id"], got["current"]) == (
        {"id": station.id, "name": "幸福里红色驿站"},
        None,
        tree.compound.id,
        True,
    )


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({}, "holder_required"),
        ({"user_id": "member", "ends_on": "2000-01-01"}, "invalid_period"),
        ({"user_id": "resident"}, "not_party_member"),
        ({"user_id": "homeless"}, "member_has_no_home"),
        ({"user_id": 999999}, "member_not_found"),
        ({"station_id": 999999}, "station_not_found"),
        ({"user_id": "member", "title": ""}, "validation_error"),
    ],
)
async def test_bad_demonstration_posts_are_422(client, session, change, code):
    tree = await make_tree(session)
    people = {
        "member": await make_user(session, home=tree.compound, party="retired"),
        "resident": await make_user(session, home=tree.compound),
        "homeless": await make_user(session, party="retired"),
    }
    staff = await make_user(session, role=(tree.alliance, "admin"))
    data = body(**{k: people.get(v, v) if isinstance(v, str) else v for k, v in change.items()})
    data = {k: (v.id if hasattr(v, "id") else v) for k, v in data.items()}
    resp = await client.post("/api/v1/demonstration-posts", json=data, headers=auth(staff))
    assert (resp.status_code, resp.json()["code"]) == (422, code), resp.text


async def test_public_list_by_org_without_phones_and_only_current(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.alliance, "admin"))
    here = await make_user(session, name="王红", home=tree.compound, party="in_service")
    there = await make_user(session, name="赵明", home=tree.other_compound, party="in_service")
    today = clock.today()
    ids = []
    for member, start, end in (
        (here, today, None),
        (there, today, None),
        (here, today - timedelta(days=60), today - timedelta(days=1)),
    ):
        data = body(user_id=member.id, starts_on=start.isoformat(), ends_on=end.isoformat() if end else None)
        resp = await client.post("/api/v1/demonstration-posts", json=data, headers=auth(staff))
        ids.append(resp.json()["id"])
    resident = await make_user(session, home=tree.compound)
    got = (
        await client.get(f"/api/v1/demonstration-posts?org_id={tree.community.id}", headers=auth(resident))
    ).json()
    assert [(p["id"], p["user"]) for p in got["items"]] == [(ids[0], {"id": here.id, "name": "王红"})]
    assert "phone" not in str(got)
    every = (await client.get("/api/v1/demonstration-posts?current=false", headers=auth(resident))).json()
    assert [p["id"] for p in every["items"]] == ids


async def test_post_shows_on_the_record_card(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.compound, "staff"))
    member = await make_user(session, name="王红", home=tree.compound, party="in_service")
    await client.post(
        "/api/v1/demonstration-posts",
        json=body(user_id=member.id, starts_on=date(clock.today().year, 1, 1).isoformat()),
        headers=auth(staff),
    )
    card = (await client.get(f"/api/v1/members/{member.id}/record", headers=auth(member))).json()
    assert [p["title"] for p in card["demonstration_posts"]] == ["党员示范岗"]


@pytest.mark.parametrize(("who", "status"), [("staff", 200), ("other_staff", 403), ("member", 403)])
async def test_who_may_end_a_post_and_it_leaves_the_current_list(client, session, who, status):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.compound, "staff"))
    member = await make_user(session, home=tree.compound, party="in_service")
    start = (clock.today() - timedelta(days=10)).isoformat()
    post = (
        await client.post(
            "/api/v1/demonstration-posts", json=body(user_id=member.id, starts_on=start), headers=auth(staff)
        )
    ).json()
    actor = {
        "staff": staff,
        "other_staff": await make_user(session, role=(tree.other_community, "staff")),
        "member": member,
    }[who]
    resp = await client.post(f"/api/v1/demonstration-posts/{post['id']}/end", headers=auth(actor))
    assert resp.status_code == status, resp.text
    if status == 200:
        assert (resp.json()["ends_on"], resp.json()["current"]) == (clock.today().isoformat(), True)
        clock.travel(timedelta(days=1))
        listed = (
            await client.get(f"/api/v1/demonstration-posts?org_id={tree.compound.id}", headers=auth(member))
        ).json()
        assert listed["items"] == []
        again = await client.post(f"/api/v1/demonstration-posts/{post['id']}/end", headers=auth(staff))
        assert (again.status_code, again.json()["code"]) == (409, "invalid_state")
