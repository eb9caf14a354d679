"""Holes the authorization table (test_authz_table) found: a person belongs to one alliance, and another
alliance's wall and shelf are not theirs, whether they live somewhere or only hold a role there."""

from app.models.timebank import Reward
from app.services import ledger
from tests.factories import auth, make_tree, make_user, problem_code

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

    assert (
        problem_code(await client.get(f"{API}/wishes/{wid}", headers=auth(outsider)), 404) == "wish_not_found"
    )
    listed = await client.get(f"{API}/wishes", params={"org_id": a.compound.id}, headers=auth(outsider))
    assert listed.json()["items"] == []
    claimed = await client.post(f"{API}/wishes/{wid}/claim", headers=auth(outsider))
    assert claimed.status_code == 404
    assert claimed.json()["code"] == "wish_not_found"
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


async def test_another_alliances_activities_stations_and_posts_are_not_theirs(client, session):
    """What a node publishes is for the people of its alliance (README, security model): another
    alliance's people neither read it nor sign up for its activities and duty shifts (which would credit
    them minutes from this alliance)."""
    from datetime import timedelta

    from app import clock
    from app.models.stations import Station

    a = await make_tree(session)
    b = await make_tree(session)
    staff = await make_user(session, role=(a.compound, "staff"))
    start = clock.now() + timedelta(hours=1)
    times = {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}
    body = {"org_id": a.compound.id, "title": "主题党日", "kind": "主题党日", "capacity": 5, **times}
    act = (await client.post(f"{API}/activities", json=body, headers=auth(staff))).json()["id"]
    station = Station(org_id=a.compound.id, name="幸福里驿站", lat=34.28, lng=119.23)
    session.add(station)
    await session.commit()
    shift = await client.post(
        f"{API}/stations/{station.id}/shifts", json={**times, "capacity": 2}, headers=auth(staff)
    )
    sid = shift.json()["id"]
    post = await client.post(
        f"{API}/orgs/{a.compound.id}/posts", json={"title": "宣传员", "slots": 2}, headers=auth(staff)
    )
    pid = post.json()["id"]

    for outsider in (
        await make_user(session, home=b.compound),
        await make_user(session, role=(b.alliance, "admin")),
    ):
        h = auth(outsider)
        assert (
            problem_code(await client.get(f"{API}/activities/{act}", headers=h), 404) == "activity_not_found"
        )
        assert (
            problem_code(await client.post(f"{API}/activities/{act}/signup", headers=h), 404)
            == "activity_not_found"
        )
        listed = await client.get(f"{API}/activities", params={"org_id": a.compound.id}, headers=h)
        assert listed.json()["items"] == []
        assert (
            problem_code(await client.get(f"{API}/stations/{station.id}", headers=h), 404)
            == "station_not_found"
        )
        assert (await client.get(f"{API}/stations", params={"org_id": a.compound.id}, headers=h)).json()[
            "items"
        ] == []
        assert (
            problem_code(await client.get(f"{API}/stations/{station.id}/shifts", headers=h), 404)
            == "station_not_found"
        )
        assert (
            problem_code(await client.post(f"{API}/shifts/{sid}/signup", headers=h), 404)
            == "station_not_found"
        )
        assert problem_code(await client.get(f"{API}/posts/{pid}", headers=h), 404) == "post_not_found"
        assert (await client.get(f"{API}/orgs/{a.compound.id}/posts", headers=h)).json()["items"] == []

    # the same alliance's people, and someone who belongs nowhere yet, still see and join them
    for insider in (await make_user(session, home=a.other_compound), await make_user(session)):
        h = auth(insider)
        assert (await client.get(f"{API}/activities/{act}", headers=h)).status_code == 200
        assert (await client.post(f"{API}/activities/{act}/signup", headers=h)).status_code == 200
        assert (await client.get(f"{API}/stations/{station.id}", headers=h)).status_code == 200
        assert (await client.post(f"{API}/shifts/{sid}/signup", headers=h)).status_code == 200
        assert (await client.get(f"{API}/posts/{pid}", headers=h)).status_code == 200


async def test_the_home_page_and_the_shelf_of_someone_without_a_home_show_their_own_alliance(client, session):
    """Staff and people registered at the door have no home; the home page's activities and stations and
    the rewards list follow the alliance they belong to, not every alliance's."""
    from datetime import timedelta

    from app import clock
    from app.models.stations import Station

    a = await make_tree(session)
    b = await make_tree(session)
    staff = await make_user(session, role=(a.compound, "staff"))
    start = clock.now() + timedelta(hours=1)
    body = {
        "org_id": a.compound.id,
        "title": "甲盟主题党日",
        "kind": "主题党日",
        "capacity": 5,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
    }
    assert (await client.post(f"{API}/activities", json=body, headers=auth(staff))).status_code == 201
    session.add(Station(org_id=a.compound.id, name="甲盟驿站", lat=34.28, lng=119.23))
    await session.commit()
    reward = {"org_id": a.compound.id, "name": "甲盟大米", "price_minutes": 10, "stock": 3}
    assert (await client.post(f"{API}/timebank/rewards", json=reward, headers=auth(staff))).status_code == 201

    outsider = await make_user(session, role=(b.compound, "staff"))
    home = (await client.get("/", headers=auth(outsider))).text
    assert "甲盟主题党日" not in home and "甲盟驿站" not in home
    shelf = await client.get(
        f"{API}/timebank/rewards", params={"org_id": a.compound.id}, headers=auth(outsider)
    )
    assert shelf.json()["items"] == []

    insider = await make_user(session, role=(a.other_compound, "staff"))
    home = (await client.get("/", headers=auth(insider))).text
    assert "甲盟主题党日" in home and "甲盟驿站" in home
    shelf = await client.get(
        f"{API}/timebank/rewards", params={"org_id": a.compound.id}, headers=auth(insider)
    )
    assert [r["name"] for r in shelf.json()["items"]] == ["甲盟大米"]


async def test_another_alliances_teams_are_neither_listed_shown_nor_joined(client, session):
    a = await make_tree(session)
    b = await make_tree(session)
    staff = await make_user(session, role=(a.community, "staff"))
    leader = await make_user(session, home=a.compound)
    body = {"name": "幸福志愿服务队", "kind": "volunteer", "org_id": a.compound.id, "leader_id": leader.id}
    team = (await client.post(f"{API}/teams", json=body, headers=auth(staff))).json()
    resident = await make_user(session, home=b.compound)
    outside_staff = await make_user(session, role=(b.compound, "staff"))
    for outsider in (resident, outside_staff):
        assert (
            problem_code(await client.get(f"{API}/teams/{team['id']}", headers=auth(outsider)), 404)
            == "team_not_found"
        )
        listed = await client.get(f"{API}/teams", params={"org_id": a.compound.id}, headers=auth(outsider))
        assert listed.json()["items"] == []
        joined = await client.post(f"{API}/teams/{team['id']}/join", headers=auth(outsider))
        assert (joined.status_code, joined.json()["code"]) == (404, "team_not_found")
    # the leader may still invite someone from elsewhere, who then sees and joins the team
    invited = await client.post(
        f"{API}/teams/{team['id']}/invite", json={"phone": resident.phone}, headers=auth(leader)
    )
    assert invited.status_code == 201
    assert (await client.get(f"{API}/teams/{team['id']}", headers=auth(resident))).status_code == 200
    joined = await client.post(f"{API}/teams/{team['id']}/join", headers=auth(resident))
    assert joined.json()["status"] == "active"
    neighbour = await make_user(session, home=a.other_compound)
    listed = await client.get(f"{API}/teams", params={"org_id": a.compound.id}, headers=auth(neighbour))
    assert [t["id"] for t in listed.json()["items"]] == [team["id"]]
    assert (await client.post(f"{API}/teams/{team['id']}/join", headers=auth(neighbour))).status_code == 200


async def test_another_alliances_demonstration_posts_are_not_listed(client, session):
    a = await make_tree(session)
    b = await make_tree(session)
    staff = await make_user(session, role=(a.compound, "staff"))
    member = await make_user(session, home=a.compound, party="in_service")
    body = {"title": "党员示范岗", "duty": "调解纠纷", "starts_on": "2026-01-01", "user_id": member.id}
    assert (
        await client.post(f"{API}/demonstration-posts", json=body, headers=auth(staff))
    ).status_code == 201
    query = {"org_id": a.compound.id}
    for outsider in (
        await make_user(session, home=b.compound),
        await make_user(session, role=(b.grid, "staff")),
    ):
        listed = await client.get(f"{API}/demonstration-posts", params=query, headers=auth(outsider))
        assert listed.json()["items"] == []
    neighbour = await make_user(session, home=a.other_compound)
    listed = await client.get(f"{API}/demonstration-posts", params=query, headers=auth(neighbour))
    assert [p["title"] for p in listed.json()["items"]] == ["党员示范岗"]


async def test_only_the_members_alliance_may_ask_them_for_help(client, session):
    a = await make_tree(session)
    b = await make_tree(session)
    member = await make_user(session, home=a.compound, party="in_service")
    code = (await client.get(f"{API}/members/{member.id}/card", headers=auth(member))).json()["code"]
    body = {"title": "请帮忙理发", "description": "行动不便", "category": "生活服务"}
    for outsider in (
        await make_user(session, home=b.compound),
        await make_user(session, role=(b.compound, "staff")),
    ):
        # the printed card's profile is for anyone who scans it; asking for help is not
        assert (await client.get(f"{API}/member-cards/{code}", headers=auth(outsider))).status_code == 200
        asked = await client.post(f"{API}/member-cards/{code}/help", json=body, headers=auth(outsider))
        assert (asked.status_code, asked.json()["code"]) == (403, "member_outside_alliance")
    neighbour = await make_user(session, home=a.other_compound)
    asked = await client.post(f"{API}/member-cards/{code}/help", json=body, headers=auth(neighbour))
    assert asked.status_code == 201
