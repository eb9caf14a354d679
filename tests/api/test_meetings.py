"""Meetings: minutes and resolutions (公示), action items that move open → done or overdue, the rotating chair."""

from datetime import timedelta

import pytest
from sqlmodel import select

from app import clock
from app.models.activities import Attendance
from app.models.meetings import ActionItem
from app.models.notifications import Notification
from app.models.org import UnitCommunity
from app.services import action_items as items_service
from app.services import orgs as orgs_service
from tests.factories import auth, make_tree, make_user, photo, problem_code

MINUTES = {
    "text": "讨论了小区停车难和楼道照明问题。",
    "public": True,
    "resolutions": [{"text": "划定临时停车位"}, {"text": "楼道灯由物业三日内修复"}],
}


async def _meeting(client, organiser, org, kind="议事会", *, starts_in=timedelta(hours=1)):
    start = clock.now() + starts_in
    body = {
        "org_id": org.id,
        "title": f"{kind}（{start:%m月%d日}）",
        "kind": kind,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": 30,
    }
    r = await client.post("/api/v1/activities", json=body, headers=auth(organiser))
    assert r.status_code == 201, r.text
    return r.json()["id"]


@pytest.fixture
async def world(session, client):
    tree = await make_tree(session)
    people = {
        "organiser": await make_user(session, name="社区书记", role=(tree.community, "staff")),
        "alliance_admin": await make_user(session, name="总站", role=(tree.alliance, "admin")),
        "attendee": await make_user(session, name="参会居民", home=tree.other_compound),
        "resident": await make_user(session, name="本社区居民", home=tree.compound),
        "outsider": await make_user(session, name="外社区居民", home=tree.other_compound),
        "other_staff": await make_user(session, name="外社区干部", role=(tree.other_community, "staff")),
        "unit_admin": await make_user(session, name="医院书记", role=(tree.unit, "admin")),
        "unit_staff": await make_user(session, name="医院干事", role=(tree.unit, "staff")),
    }
    meeting = await _meeting(client, people["organiser"], tree.compound)
    session.add(Attendance(activity_id=meeting, user_id=people["attendee"].id, method="code"))
    await session.commit()
    return tree, people, meeting


async def test_the_organiser_writes_minutes_with_resolutions_in_order(client, world):
    tree, people, meeting = world
    r = await client.post(
        f"/api/v1/activities/{meeting}/minutes", json=MINUTES, headers=auth(people["organiser"])
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["text"] == MINUTES["text"]
    assert [x["text"] for x in body["resolutions"]] == ["划定临时停车位", "楼道灯由物业三日内修复"]
    assert [x["position"] for x in body["resolutions"]] == [1, 2]
    # A rewrite replaces the resolutions rather than adding to them.
    again = {**MINUTES, "resolutions": [{"text": "只保留一条"}]}
    r = await client.post(
        f"/api/v1/activities/{meeting}/minutes", json=again, headers=auth(people["organiser"])
    )
    assert [x["text"] for x in r.json()["resolutions"]] == ["只保留一条"]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("organiser", 201),
        ("alliance_admin", 201),
        ("attendee", 403),
        ("resident", 403),
        ("other_staff", 403),
    ],
)
async def test_who_may_write_minutes(client, world, who, status):
    _, people, meeting = world
    r = await client.post(f"/api/v1/activities/{meeting}/minutes", json=MINUTES, headers=auth(people[who]))
    assert r.status_code == status


@pytest.mark.parametrize(
    ("who", "public", "status", "sees_text"),
    [
        ("organiser", False, 200, True),
        ("attendee", False, 200, True),
        ("alliance_admin", False, 200, True),
        ("resident", False, 404, None),
        ("resident", True, 200, False),
        ("outsider", True, 404, None),
        ("other_staff", True, 404, None),
    ],
)
async def test_who_may_read_minutes(client, world, who, public, status, sees_text):
    _, people, meeting = world
    body = {**MINUTES, "public": public}
    await client.post(f"/api/v1/activities/{meeting}/minutes", json=body, headers=auth(people["organiser"]))
    r = await client.get(f"/api/v1/activities/{meeting}/minutes", headers=auth(people[who]))
    assert r.status_code == status
    if status == 200:
        assert (r.json()["text"] is not None) is sees_text
        assert len(r.json()["resolutions"]) == 2


async def test_public_resolutions_are_shown_to_the_community_only(client, world):
    _, people, meeting = world
    await client.post(
        f"/api/v1/activities/{meeting}/minutes", json=MINUTES, headers=auth(people["organiser"])
    )
    mine = (await client.get("/api/v1/resolutions", headers=auth(people["resident"]))).json()
    assert [m["activity_id"] for m in mine] == [meeting]
    assert mine[0]["text"] is None
    assert (await client.get("/api/v1/resolutions", headers=auth(people["outsider"]))).json() == []


async def test_minutes_only_for_meetings(client, world):
    tree, people, _ = world
    study = await _meeting(client, people["organiser"], tree.compound, kind="党课")
    r = await client.post(
        f"/api/v1/activities/{study}/minutes", json=MINUTES, headers=auth(people["organiser"])
    )
    assert (r.status_code, r.json()["code"]) == (409, "not_a_meeting")
    r = await client.post(
        f"/api/v1/activities/{study}/minutes", json={"text": " "}, headers=auth(people["organiser"])
    )
    assert (r.status_code, r.json()["code"]) == (422, "validation_error")


# ---- action items ----


def _item(**owner):
    return {"text": "联系物业修复楼道灯", "due_on": (clock.today() + timedelta(days=3)).isoformat(), **owner}


@pytest.mark.parametrize(("who", "status"), [("organiser", 201), ("attendee", 403), ("unit_admin", 403)])
async def test_who_may_give_action_items(client, world, who, status):
    tree, people, meeting = world
    r = await client.post(
        f"/api/v1/activities/{meeting}/action-items",
        json=_item(owner_org_id=tree.unit.id),
        headers=auth(people[who]),
    )
    assert r.status_code == status


async def test_an_action_item_needs_exactly_one_owner_and_a_future_date(client, world):
    tree, people, meeting = world
    url, h = f"/api/v1/activities/{meeting}/action-items", auth(people["organiser"])
    both = _item(owner_org_id=tree.unit.id, owner_user_id=people["attendee"].id)
    assert problem_code(await client.post(url, json=both, headers=h), 422) == "validation_error"
    assert problem_code(await client.post(url, json=_item(), headers=h), 422) == "validation_error"
    past = {**_item(owner_org_id=tree.unit.id), "due_on": (clock.today() - timedelta(days=1)).isoformat()}
    r = await client.post(url, json=past, headers=h)
    assert (r.status_code, r.json()["code"]) == (422, "due_in_past")


@pytest.mark.parametrize(
    ("owner", "who", "status"),
    [
        ("unit", "unit_admin", 200),
        ("unit", "unit_staff", 404),
        ("unit", "organiser", 403),
        ("unit", "attendee", 404),
        ("person", "attendee", 200),
        ("person", "resident", 404),
        ("person", "unit_admin", 404),
    ],
)
async def test_who_may_mark_an_action_item_done(client, world, owner, who, status):
    tree, people, meeting = world
    body = _item(owner_org_id=tree.unit.id) if owner == "unit" else _item(owner_user_id=people["attendee"].id)
    item = (
        await client.post(
            f"/api/v1/activities/{meeting}/action-items", json=body, headers=auth(people["organiser"])
        )
    ).json()
    r = await client.post(
        f"/api/v1/action-items/{item['id']}/done", json={"note": "已修复"}, headers=auth(people[who])
    )
    assert r.status_code == status
    if status == 200:
        assert (r.json()["status"], r.json()["done_note"]) == ("done", "已修复")
        again = await client.post(
            f"/api/v1/action-items/{item['id']}/done", json={"note": "再来"}, headers=auth(people[who])
        )
        assert (again.status_code, again.json()["code"]) == (409, "invalid_state")


async def test_the_owning_unit_is_told_and_lists_its_items(client, session, world):
    tree, people, meeting = world
    await client.post(
        f"/api/v1/activities/{meeting}/action-items",
        json=_item(owner_org_id=tree.unit.id),
        headers=auth(people["organiser"]),
    )
    kinds = (
        await session.exec(select(Notification.kind).where(Notification.user_id == people["unit_admin"].id))
    ).all()
    assert kinds == ["action_item_assigned"]
    mine = (await client.get("/api/v1/action-items", headers=auth(people["unit_admin"]))).json()["items"]
    assert [i["owner_org_name"] for i in mine] == ["县医院"]
    assert mine[0]["can_mark_done"] is True


@pytest.mark.parametrize(
    ("who", "org", "status"),
    [("organiser", "community", 200), ("alliance_admin", "alliance", 200), ("other_staff", "community", 403)],
)
async def test_who_may_list_action_items_of_a_subtree(client, world, who, org, status):
    tree, people, meeting = world
    await client.post(
        f"/api/v1/activities/{meeting}/action-items",
        json=_item(owner_org_id=tree.unit.id),
        headers=auth(people["organiser"]),
    )
    org_id = getattr(tree, org).id
    r = await client.get(f"/api/v1/action-items?org_id={org_id}&status=open", headers=auth(people[who]))
    assert r.status_code == status
    if status == 200:
        assert len(r.json()["items"]) == 1
        done = await client.get(
            f"/api/v1/action-items?org_id={org_id}&status=done", headers=auth(people[who])
        )
        assert done.json()["items"] == []


async def test_an_overdue_item_is_escalated_to_the_node_above_once(client, session, world):
    tree, people, meeting = world
    community_admin = await make_user(session, name="社区主任", role=(tree.community, "admin"))
    item = (
        await client.post(
            f"/api/v1/activities/{meeting}/action-items",
            json=_item(owner_user_id=people["attendee"].id),
            headers=auth(people["organiser"]),
        )
    ).json()
    assert await items_service.mark_overdue(session) == 0
    clock.travel(timedelta(days=4))
    assert await items_service.mark_overdue(session) == 1
    assert await items_service.mark_overdue(session) == 0
    row = await session.get(ActionItem, item["id"])
    await session.refresh(row)
    assert (row.status, row.escalated_org_id) == ("overdue", tree.community.id)
    told = (
        await session.exec(select(Notification.user_id).where(Notification.kind == "action_item_overdue"))
    ).all()
    assert sorted(told) == sorted([people["organiser"].id, community_admin.id, people["attendee"].id])
    # An overdue item can still be done.
    r = await client.post(
        f"/api/v1/action-items/{item['id']}/done", json={"note": "补办"}, headers=auth(people["attendee"])
    )
    assert r.json()["status"] == "done"


# ---- the rotating chair ----


async def _units(session, tree, n):
    units = [tree.unit]
    for i in range(n - 1):
        units.append(
            await orgs_service.add_org(session, name=f"共建单位{i}", kind="unit", parent=tree.alliance)
        )
    for u in units:
        session.add(UnitCommunity(unit_id=u.id, community_id=tree.community.id))
    await session.commit()
    return units


@pytest.mark.parametrize(
    ("who", "status"), [("alliance_admin", 200), ("organiser", 403), ("unit_admin", 403), ("resident", 403)]
)
async def test_who_may_set_the_chair_rotation(client, session, world, who, status):
    tree, people, _ = world
    units = await _units(session, tree, 2)
    body = {"unit_ids": [u.id for u in units]}
    r = await client.put(
        f"/api/v1/orgs/{tree.community.id}/chair-rotation", json=body, headers=auth(people[who])
    )
    assert r.status_code == status


async def test_the_next_chair_is_the_unit_after_the_last_meetings_chair(client, session, world):
    tree, people, _ = world
    a, b, c = await _units(session, tree, 3)
    url = f"/api/v1/orgs/{tree.community.id}/chair-rotation"
    r = await client.put(url, json={"unit_ids": [a.id, b.id, c.id]}, headers=auth(people["alliance_admin"]))
    assert r.json()["next_chair_unit_id"] == a.id
    assert (await client.get(url, headers=auth(people["organiser"]))).json()["next_chair_unit_id"] == a.id
    # The first joint meeting takes the proposed chair; the next one follows on.
    first = await _meeting(client, people["organiser"], tree.community, kind="联席会议")
    r = await client.post(
        f"/api/v1/activities/{first}/minutes",
        json={"text": "第一次联席会议"},
        headers=auth(people["organiser"]),
    )
    assert r.json()["chair_unit_id"] == a.id
    assert (await client.get(url, headers=auth(people["organiser"]))).json()["next_chair_unit_id"] == b.id
    # A chair chosen by hand is kept, and the rotation follows on from it, wrapping round.
    second = await _meeting(
        client, people["organiser"], tree.community, kind="联席会议", starts_in=timedelta(days=30)
    )
    await client.post(
        f"/api/v1/activities/{second}/minutes",
        json={"text": "第二次", "chair_unit_id": c.id},
        headers=auth(people["organiser"]),
    )
    got = (await client.get(url, headers=auth(people["organiser"]))).json()
    assert (got["last_chair_unit_id"], got["next_chair_unit_id"]) == (c.id, a.id)


async def test_a_rotation_names_only_units_of_the_community(client, session, world):
    tree, people, _ = world
    stray = await orgs_service.add_org(session, name="未分配单位", kind="unit", parent=tree.alliance)
    await session.commit()
    url = f"/api/v1/orgs/{tree.community.id}/chair-rotation"
    h = auth(people["alliance_admin"])
    r = await client.put(url, json={"unit_ids": [stray.id]}, headers=h)
    assert (r.status_code, r.json()["code"]) == (422, "unit_not_assigned")
    r = await client.put(url, json={"unit_ids": [tree.compound.id]}, headers=h)
    assert (r.status_code, r.json()["code"]) == (422, "invalid_chair_unit")
    units = await _units(session, tree, 1)
    r = await client.put(url, json={"unit_ids": [units[0].id, units[0].id]}, headers=h)
    assert (r.status_code, r.json()["code"]) == (422, "duplicate_unit")


# ---- photos ----


async def test_meeting_photos_are_for_attendees_and_staff(client, world):
    _, people, meeting = world
    url = f"/api/v1/activities/{meeting}/minutes/photos"
    files = {"photo": ("a.png", photo("PNG"), "image/png")}
    r = await client.post(url, files=files, headers=auth(people["organiser"]))
    assert (r.status_code, r.json()["code"]) == (409, "minutes_required")
    await client.post(
        f"/api/v1/activities/{meeting}/minutes", json=MINUTES, headers=auth(people["organiser"])
    )
    assert (
        problem_code(await client.post(url, files=files, headers=auth(people["attendee"])), 403)
        == "forbidden"
    )
    r = await client.post(url, files=files, headers=auth(people["organiser"]))
    assert r.status_code == 201
    assert r.json()["photos"] == [f"/api/v1/activities/{meeting}/minutes/photos/0"]
    got = await client.get(f"{url}/0", headers=auth(people["attendee"]))
    assert (got.status_code, got.headers["content-type"]) == (200, "image/jpeg")
    assert (
        problem_code(await client.get(f"{url}/0", headers=auth(people["resident"])), 404) == "photo_not_found"
    )
    public = (
        await client.get(f"/api/v1/activities/{meeting}/minutes", headers=auth(people["resident"]))
    ).json()
    assert public["photos"] == []


async def test_the_owner_adds_photos_of_what_was_done(client, world):
    tree, people, meeting = world
    item = (
        await client.post(
            f"/api/v1/activities/{meeting}/action-items",
            json=_item(owner_org_id=tree.unit.id),
            headers=auth(people["organiser"]),
        )
    ).json()
    url = f"/api/v1/action-items/{item['id']}/photos"
    files = {"photo": ("a.png", photo("PNG"), "image/png")}
    assert (
        problem_code(await client.post(url, files=files, headers=auth(people["organiser"])), 403)
        == "forbidden"
    )
    assert (
        problem_code(await client.post(url, files=files, headers=auth(people["resident"])), 404)
        == "action_item_not_found"
    )
    r = await client.post(url, files=files, headers=auth(people["unit_admin"]))
    assert r.json()["photos"] == [f"{url}/0"]
    assert (await client.get(f"{url}/0", headers=auth(people["organiser"]))).status_code == 200
    assert (
        problem_code(await client.get(f"{url}/1", headers=auth(people["organiser"])), 404)
        == "photo_not_found"
    )


@pytest.mark.parametrize(
    ("who", "org", "status", "count"),
    [
        ("resident", "community", 200, 1),
        ("resident", "other_community", 403, None),
        ("other_staff", "community", 403, None),
        ("other_staff", "other_community", 200, 0),
        ("alliance_admin", "community", 200, 1),
    ],
)
async def test_who_may_read_a_communitys_public_resolutions(client, world, who, org, status, count):
    tree, people, meeting = world
    await client.post(
        f"/api/v1/activities/{meeting}/minutes", json=MINUTES, headers=auth(people["organiser"])
    )
    r = await client.get(f"/api/v1/resolutions?org_id={getattr(tree, org).id}", headers=auth(people[who]))
    assert r.status_code == status
    if status == 200:
        assert len(r.json()) == count
