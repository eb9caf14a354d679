"""Teams: staff set them up, people ask to join, the leader approves or invites, members leave;
a wish dispatched to a team is for its active members only."""

import pytest

from tests.factories import auth, make_tree, make_user, problem_code


async def new_team(client, session, tree, *, leader=None, org=None, staff=None):
    staff = staff or await make_user(session, name="社区干部", role=(tree.community, "staff"))
    leader = leader or await make_user(session, name="王队长", home=tree.compound)
    resp = await client.post(
        "/api/v1/teams",
        json={
            "name": "幸福志愿服务队",
            "kind": "volunteer",
            "org_id": (org or tree.community).id,
            "leader_id": leader.id,
            "skills": ["维修", "助老", "维修"],
        },
        headers=auth(staff),
    )
    assert resp.status_code == 201, resp.text
    return resp.json(), leader, staff


async def test_staff_sets_up_team_with_leader_as_first_member(client, session):
    tree = await make_tree(session)
    team, leader, _ = await new_team(client, session, tree)
    assert (team["kind"], team["kind_label"], team["skills"]) == ("volunteer", "志愿服务队", ["维修", "助老"])
    assert team["members"] == [
        {"user_id": leader.id, "name": "王队长", "phone": leader.phone, "status": "active", "is_leader": True}
    ]
    assert team["stats"] == {
        "members": 1,
        "pending": 0,
        "wishes_done": 0,
        "minutes_served": 0,
        "hours": 0.0,
        "activities": 0,
    }


@pytest.mark.parametrize(
    ("who", "status"),
    [("community_staff", 201), ("alliance_admin", 201), ("compound_staff", 403), ("resident", 403)],
)
async def test_who_may_set_up_a_team(client, session, who, status):
    tree = await make_tree(session)
    roles = {
        "community_staff": (tree.community, "staff"),
        "alliance_admin": (tree.alliance, "admin"),
        "compound_staff": (tree.compound, "staff"),
        "resident": None,
    }
    actor = await make_user(session, role=roles[who])
    resp = await client.post(
        "/api/v1/teams",
        json={"name": "先锋队", "kind": "vanguard", "org_id": tree.community.id, "leader_id": actor.id},
        headers=auth(actor),
    )
    assert resp.status_code == status, resp.text


async def test_unknown_kind_is_422_and_unknown_leader_is_422(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    body = {"name": "突击队", "kind": "army", "org_id": tree.community.id, "leader_id": staff.id}
    resp = await client.post("/api/v1/teams", json=body, headers=auth(staff))
    assert (resp.status_code, resp.json()["code"]) == (422, "validation_error")
    body.update(kind="other", leader_id=999999)
    resp = await client.post("/api/v1/teams", json=body, headers=auth(staff))
    assert (resp.status_code, resp.json()["code"]) == (422, "invalid_leader")


async def test_join_then_leader_approves(client, session):
    tree = await make_tree(session)
    team, leader, _ = await new_team(client, session, tree)
    vol = await make_user(session, name="李志愿", home=tree.compound)
    resp = await client.post(f"/api/v1/teams/{team['id']}/join", headers=auth(vol))
    assert (resp.status_code, resp.json()["status"]) == (200, "pending")
    again = await client.post(f"/api/v1/teams/{team['id']}/join", headers=auth(vol))
    assert (again.status_code, again.json()["code"]) == (409, "join_pending")
    # The public view shows active members only; the leader sees the request too.
    public = (await client.get(f"/api/v1/teams/{team['id']}", headers=auth(vol))).json()
    assert [m["user_id"] for m in public["members"]] == [leader.id]
    seen = (await client.get(f"/api/v1/teams/{team['id']}", headers=auth(leader))).json()
    assert [(m["user_id"], m["status"]) for m in seen["members"]] == [
        (leader.id, "active"),
        (vol.id, "pending"),
    ]
    assert seen["stats"]["pending"] == 1
    resp = await client.post(f"/api/v1/teams/{team['id']}/members/{vol.id}/approve", headers=auth(leader))
    assert (resp.status_code, resp.json()["status"]) == (200, "active")
    twice = await client.post(f"/api/v1/teams/{team['id']}/members/{vol.id}/approve", headers=auth(leader))
    assert (twice.status_code, twice.json()["code"]) == (409, "invalid_state")
    got = (await client.get(f"/api/v1/teams/{team['id']}", headers=auth(vol))).json()
    assert (got["my_status"], got["stats"]["members"]) == ("active", 2)


@pytest.mark.parametrize(
    ("who", "approve", "remove"),
    [
        ("leader", 200, 204),
        ("staff", 200, 204),
        ("other_member", 403, 403),
        ("stranger", 403, 403),
        ("self", 403, 204),
    ],
)
async def test_who_may_approve_and_remove(client, session, who, approve, remove):
    tree = await make_tree(session)
    team, leader, staff = await new_team(client, session, tree)
    member = await make_user(session, name="老队员")
    await client.post(f"/api/v1/teams/{team['id']}/join", headers=auth(member))
    await client.post(f"/api/v1/teams/{team['id']}/members/{member.id}/approve", headers=auth(leader))
    applicant = await make_user(session, name="申请人")
    await client.post(f"/api/v1/teams/{team['id']}/join", headers=auth(applicant))
    actors = {
        "leader": leader,
        "staff": staff,
        "other_member": member,
        "stranger": await make_user(session),
        "self": applicant,
    }
    actor = actors[who]
    resp = await client.post(
        f"/api/v1/teams/{team['id']}/members/{applicant.id}/approve", headers=auth(actor)
    )
    assert resp.status_code == approve, resp.text
    resp = await client.delete(f"/api/v1/teams/{team['id']}/members/{applicant.id}", headers=auth(actor))
    assert resp.status_code == remove, resp.text


async def test_leader_cannot_be_removed_and_stranger_gets_404_on_absent_member(client, session):
    tree = await make_tree(session)
    team, leader, staff = await new_team(client, session, tree)
    resp = await client.delete(f"/api/v1/teams/{team['id']}/members/{leader.id}", headers=auth(staff))
    assert (resp.status_code, resp.json()["code"]) == (409, "cannot_remove_leader")
    nobody = await make_user(session)
    resp = await client.delete(f"/api/v1/teams/{team['id']}/members/{nobody.id}", headers=auth(nobody))
    assert (resp.status_code, resp.json()["code"]) == (404, "team_member_not_found")
    assert (
        problem_code(await client.get("/api/v1/teams/999999", headers=auth(nobody)), 404) == "team_not_found"
    )


async def test_leader_invites_and_person_accepts(client, session):
    tree = await make_tree(session)
    team, leader, _ = await new_team(client, session, tree)
    resp = await client.post(
        f"/api/v1/teams/{team['id']}/invite", json={"phone": "13900001111"}, headers=auth(leader)
    )
    assert (resp.status_code, resp.json()["status"], resp.json()["phone"]) == (201, "invited", "139****1111")
    from app.services import users as users_service

    invited = await users_service.get_by_phone(session, phone="13900001111")
    resp = await client.post(f"/api/v1/teams/{team['id']}/join", headers=auth(invited))
    assert resp.json()["status"] == "active"


@pytest.mark.parametrize(
    ("who", "field", "status"),
    [
        ("leader", {"service_area": "幸福里全域"}, 200),
        ("leader", {"active": False}, 403),
        ("staff", {"active": False}, 200),
        ("member", {"service_area": "x"}, 403),
        ("staff", {"name": None}, 422),
    ],
)
async def test_who_may_change_a_team(client, session, who, field, status):
    tree = await make_tree(session)
    team, leader, staff = await new_team(client, session, tree)
    member = await make_user(session)
    await client.post(f"/api/v1/teams/{team['id']}/join", headers=auth(member))
    await client.post(f"/api/v1/teams/{team['id']}/members/{member.id}/approve", headers=auth(leader))
    actor = {"leader": leader, "staff": staff, "member": member}[who]
    resp = await client.patch(f"/api/v1/teams/{team['id']}", json=field, headers=auth(actor))
    assert resp.status_code == status, resp.text


async def test_staff_hands_over_the_lead(client, session):
    tree = await make_tree(session)
    team, leader, staff = await new_team(client, session, tree)
    new_leader = await make_user(session, name="新队长")
    resp = await client.patch(
        f"/api/v1/teams/{team['id']}", json={"leader_id": new_leader.id}, headers=auth(staff)
    )
    assert resp.json()["leader_id"] == new_leader.id
    assert {(m["user_id"], m["is_leader"]) for m in resp.json()["members"]} == {
        (leader.id, False),
        (new_leader.id, True),
    }


async def test_list_by_org_and_mine(client, session):
    tree = await make_tree(session)
    team, leader, staff = await new_team(client, session, tree)
    other, _, _ = await new_team(
        client,
        session,
        tree,
        org=tree.other_community,
        staff=await make_user(session, role=(tree.alliance, "admin")),
    )
    got = (await client.get(f"/api/v1/teams?org_id={tree.community.id}", headers=auth(leader))).json()
    assert [t["id"] for t in got["items"]] == [team["id"]]
    mine = (await client.get("/api/v1/teams?mine=true", headers=auth(leader))).json()
    assert [t["id"] for t in mine["items"]] == [team["id"]]
    everyone = (await client.get("/api/v1/teams", headers=auth(leader))).json()
    assert [t["id"] for t in everyone["items"]] == [team["id"], other["id"]]


async def published_wish(client, session, tree, *, team_id=None, expect=200):
    poster = await make_user(session, name="张阿姨", home=tree.compound)
    reviewer = await make_user(session, role=(tree.compound, "staff"))
    wish = (
        await client.post(
            "/api/v1/wishes", json={"title": "帮忙修水龙头", "category": "生活服务"}, headers=auth(poster)
        )
    ).json()
    body = {"approve": True} | ({"assign_team_id": team_id} if team_id else {})
    resp = await client.post(f"/api/v1/wishes/{wish['id']}/review", json=body, headers=auth(reviewer))
    assert resp.status_code == expect, resp.text
    return resp.json(), poster, reviewer


async def test_wish_dispatched_to_team_only_its_members_claim(client, session):
    tree = await make_tree(session)
    team, leader, _ = await new_team(client, session, tree)
    wish, poster, reviewer = await published_wish(client, session, tree, team_id=team["id"])
    assert wish["assigned_team_id"] == team["id"]
    stranger = await make_user(session, home=tree.compound)
    resp = await client.post(f"/api/v1/wishes/{wish['id']}/claim", headers=auth(stranger))
    assert (resp.status_code, resp.json()["code"]) == (403, "wish_dispatched_to_team")
    seen = (await client.get(f"/api/v1/wishes/{wish['id']}", headers=auth(stranger))).json()
    assert "claim" not in seen["actions"]
    # The leader hears of it first.
    inbox = (await client.get("/api/v1/notifications", headers=auth(leader))).json()["items"]
    assert [n["kind"] for n in inbox][:1] == ["wish_dispatched"]
    member = await make_user(session, home=tree.compound)
    await client.post(f"/api/v1/teams/{team['id']}/join", headers=auth(member))
    await client.post(f"/api/v1/teams/{team['id']}/members/{member.id}/approve", headers=auth(leader))
    resp = await client.post(f"/api/v1/wishes/{wish['id']}/claim", headers=auth(member))
    assert resp.status_code == 200, resp.text
    await client.post(
        f"/api/v1/wishes/{wish['id']}/done",
        json={"note": "修好了", "minutes_spent": 45},
        headers=auth(member),
    )
    stats = (await client.get(f"/api/v1/teams/{team['id']}", headers=auth(member))).json()["stats"]
    assert (stats["wishes_done"], stats["minutes_served"], stats["hours"]) == (1, 45, 0.8)


async def test_dispatch_to_unknown_or_closed_team_is_422(client, session):
    tree = await make_tree(session)
    team, _, staff = await new_team(client, session, tree)
    await client.patch(f"/api/v1/teams/{team['id']}", json={"active": False}, headers=auth(staff))
    for team_id in (team["id"], 999999):
        wish, _, _ = await published_wish(client, session, tree, team_id=team_id, expect=422)
        assert wish["code"] == "invalid_assign_team"


async def test_activity_run_by_a_team_counts_for_it(client, session):
    from datetime import timedelta

    from app import clock

    tree = await make_tree(session)
    team, leader, staff = await new_team(client, session, tree)
    start = clock.now() + timedelta(days=1)
    body = {
        "org_id": tree.community.id,
        "title": "义诊进小区",
        "kind": "志愿服务",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": 20,
        "team_id": team["id"],
    }
    resp = await client.post("/api/v1/activities", json=body, headers=auth(staff))
    assert (resp.status_code, resp.json()["team_id"]) == (201, team["id"]), resp.text
    resp = await client.post("/api/v1/activities", json=body | {"team_id": 999999}, headers=auth(staff))
    assert (resp.status_code, resp.json()["code"]) == (422, "invalid_team")
    before = (await client.get(f"/api/v1/teams/{team['id']}", headers=auth(leader))).json()["stats"]
    clock.travel(timedelta(days=2))
    after = (await client.get(f"/api/v1/teams/{team['id']}", headers=auth(leader))).json()["stats"]
    assert (before["activities"], after["activities"]) == (0, 1)
    page = await client.get(f"/teams/{team['id']}", headers=auth(leader))
    assert 'id="team-activities"' in page.text and "义诊进小区" in page.text


async def test_inviting_someone_who_asked_makes_them_a_member_and_closed_team_refuses_joins(client, session):
    tree = await make_tree(session)
    team, leader, staff = await new_team(client, session, tree)
    vol = await make_user(session, name="赵志愿")
    await client.post(f"/api/v1/teams/{team['id']}/join", headers=auth(vol))
    inbox = (await client.get("/api/v1/notifications", headers=auth(leader))).json()["items"]
    assert [(n["kind"], n["link"]) for n in inbox][:1] == [("team", f"/teams/{team['id']}")]
    resp = await client.post(
        f"/api/v1/teams/{team['id']}/invite", json={"phone": vol.phone}, headers=auth(leader)
    )
    assert resp.json()["status"] == "active"
    again = await client.post(
        f"/api/v1/teams/{team['id']}/invite", json={"phone": vol.phone}, headers=auth(leader)
    )
    assert (again.status_code, again.json()["code"]) == (409, "already_team_member")
    stranger = await make_user(session)
    resp = await client.post(
        f"/api/v1/teams/{team['id']}/invite", json={"phone": "13900002222"}, headers=auth(stranger)
    )
    assert (resp.status_code, resp.json()["code"]) == (403, "not_team_manager")
    await client.patch(f"/api/v1/teams/{team['id']}", json={"active": False}, headers=auth(staff))
    resp = await client.post(f"/api/v1/teams/{team['id']}/join", headers=auth(stranger))
    assert (resp.status_code, resp.json()["code"]) == (409, "invalid_state")
    listed = (await client.get(f"/api/v1/teams?org_id={tree.community.id}", headers=auth(stranger))).json()
    assert listed["items"] == []


async def test_member_leaves_and_leader_name_phone_are_masked_for_others(client, session):
    tree = await make_tree(session)
    team, leader, _ = await new_team(client, session, tree)
    vol = await make_user(session, name="赵志愿")
    await client.post(f"/api/v1/teams/{team['id']}/join", headers=auth(vol))
    await client.post(f"/api/v1/teams/{team['id']}/members/{vol.id}/approve", headers=auth(leader))
    seen = (await client.get(f"/api/v1/teams/{team['id']}", headers=auth(vol))).json()
    phones = {m["user_id"]: m["phone"] for m in seen["members"]}
    assert phones == {leader.id: f"{leader.phone[:3]}****{leader.phone[-4:]}", vol.id: vol.phone}
    assert (
        await client.delete(f"/api/v1/teams/{team['id']}/members/{vol.id}", headers=auth(vol))
    ).status_code == 204
    assert (await client.get(f"/api/v1/teams/{team['id']}", headers=auth(vol))).json()["my_status"] is None
