"""The alliance-work pages render from the same services: teams, a team, the 公示, my card, a scanned
card, a station's service log; the wish page offers team dispatch and confirming for a resident."""

from app import clock
from app.models.stations import Station
from tests.factories import auth, make_tree, make_user


async def setup(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, name="社区干部", role=(tree.community, "staff"))
    member = await make_user(session, name="王红", home=tree.compound, party="in_service")
    team = (
        await client.post(
            "/api/v1/teams",
            json={
                "name": "红色理发队",
                "kind": "vanguard",
                "org_id": tree.community.id,
                "leader_id": member.id,
            },
            headers=auth(staff),
        )
    ).json()
    return tree, staff, member, team


async def test_team_pages_show_teams_members_and_leader_tools(client, session):
    tree, staff, member, team = await setup(client, session)
    page = await client.get("/teams", headers=auth(staff))
    assert page.status_code == 200
    assert "红色理发队" in page.text and 'id="team-form"' in page.text
    resident = await make_user(session, name="张阿姨", home=tree.compound)
    listed = await client.get("/teams", headers=auth(resident))
    assert "红色理发队" in listed.text and 'id="team-form"' not in listed.text
    one = await client.get(f"/teams/{team['id']}", headers=auth(resident))
    assert "申请加入" in one.text and "队长工具" not in one.text
    await client.post(f"/api/v1/teams/{team['id']}/join", headers=auth(resident))
    lead = await client.get(f"/teams/{team['id']}", headers=auth(member))
    assert "队长工具" in lead.text and f"/teams/{team['id']}/members/{resident.id}/approve" in lead.text
    assert (await client.get("/teams/999999", headers=auth(member))).status_code == 404


async def test_publicity_page_lists_posts_without_phones(client, session):
    tree, staff, member, _ = await setup(client, session)
    await client.post(
        "/api/v1/demonstration-posts",
        json={
            "user_id": member.id,
            "title": "调解先锋岗",
            "duty": "调解邻里纠纷",
            "starts_on": clock.today().isoformat(),
        },
        headers=auth(staff),
    )
    resident = await make_user(session, home=tree.compound)
    page = await client.get("/demonstration-posts", headers=auth(resident))
    assert page.status_code == 200
    assert "调解先锋岗" in page.text and "王红" in page.text
    assert member.phone not in page.text and member.phone[-4:] not in page.text
    assert 'id="demo-form"' not in page.text
    assert 'id="demo-form"' in (await client.get("/demonstration-posts", headers=auth(staff))).text


async def test_my_card_page_and_scanned_page(client, session):
    tree, _, member, team = await setup(client, session)
    await client.put(
        f"/api/v1/members/{member.id}/card", json={"commitments": ["每周六义务理发"]}, headers=auth(member)
    )
    mine = await client.get("/card", headers=auth(member))
    assert f"/api/v1/members/{member.id}/card.svg" in mine.text and "每周六义务理发" in mine.text
    code = (await client.get(f"/api/v1/members/{member.id}/card", headers=auth(member))).json()["code"]
    resident = await make_user(session, home=tree.compound)
    scanned = await client.get(f"/m/{code}", headers=auth(resident))
    assert 'id="help-form"' in scanned.text and "请红色理发队" in scanned.text
    assert "请他帮忙" not in (await client.get(f"/m/{code}", headers=auth(member))).text
    assert (await client.get("/m/1-forged", headers=auth(resident))).status_code == 404
    nobody = await client.get("/card", headers=auth(resident))
    assert "才有服务码" in nobody.text


async def test_station_service_page_for_runners_only(client, session):
    tree, _, member, _ = await setup(client, session)
    station = Station(org_id=tree.compound.id, name="幸福里驿站", lat=34.28, lng=119.23, master_id=member.id)
    session.add(station)
    await session.commit()
    await client.post(
        f"/api/v1/stations/{station.id}/services", json={"kind": "理发", "count": 4}, headers=auth(member)
    )
    page = await client.get(f"/stations/{station.id}/services", headers=auth(member))
    assert page.status_code == 200 and "理发 4 人次" in page.text
    detail = await client.get(f"/stations/{station.id}", headers=auth(member))
    assert f"/stations/{station.id}/services" in detail.text
    resident = await make_user(session, home=tree.compound)
    assert (await client.get(f"/stations/{station.id}/services", headers=auth(resident))).status_code == 403


async def test_wish_page_offers_team_dispatch_and_confirm_on_behalf(client, session):
    tree, staff, member, team = await setup(client, session)
    wish = (
        await client.post(
            "/api/v1/wishes",
            json={
                "title": "帮老人理发",
                "category": "助老",
                "org_id": tree.compound.id,
                "on_behalf_of_phone": "13955550001",
            },
            headers=auth(staff),
        )
    ).json()
    page = await client.get(f"/wishes/{wish['id']}", headers=auth(staff))
    assert 'id="assign_team_id"' in page.text and "红色理发队" in page.text
    await client.post(
        f"/api/v1/wishes/{wish['id']}/review",
        json={"approve": True, "assign_team_id": team["id"]},
        headers=auth(staff),
    )
    await client.post(f"/api/v1/wishes/{wish['id']}/claim", headers=auth(member))
    await client.post(
        f"/api/v1/wishes/{wish['id']}/done",
        json={"note": "理好了", "minutes_spent": 30},
        headers=auth(member),
    )
    page = await client.get(f"/wishes/{wish['id']}", headers=auth(staff))
    assert "代居民确认" in page.text and 'name="on_behalf"' in page.text


async def test_station_and_record_pages_show_demonstration_posts_and_staff_print_cards(client, session):
    tree, staff, member, _ = await setup(client, session)
    station = Station(org_id=tree.compound.id, name="幸福里驿站", lat=34.28, lng=119.23)
    session.add(station)
    await session.commit()
    today = clock.today().isoformat()
    for holder in ({"station_id": station.id}, {"user_id": member.id}):
        resp = await client.post(
            "/api/v1/demonstration-posts",
            json={**holder, "title": "调解先锋岗", "duty": "就地调解", "starts_on": today},
            headers=auth(staff),
        )
        assert resp.status_code == 201, resp.text
    detail = await client.get(f"/stations/{station.id}", headers=auth(member))
    assert 'id="demo-posts"' in detail.text and "调解先锋岗" in detail.text
    record = await client.get(f"/admin/reports/members/{member.id}", headers=auth(member))
    assert 'id="record-demo-posts"' in record.text and "调解先锋岗" in record.text
    card = await client.get(f"/card?user_id={member.id}", headers=auth(staff))
    assert f"/api/v1/members/{member.id}/card.svg" in card.text and 'id="promises"' not in card.text
    publicity = await client.get("/demonstration-posts", headers=auth(staff))
    assert f"/card?user_id={member.id}" in publicity.text


async def test_publicity_of_an_unknown_org_is_404_and_other_alliances_are_not_offered(client, session):
    tree, staff, _, _ = await setup(client, session)
    from app.models.org import OrgKind
    from app.services import orgs as orgs_service

    elsewhere = await orgs_service.add_org(session, name="外县联盟", kind=OrgKind.alliance, parent=None)
    await orgs_service.add_org(session, name="外县社区", kind=OrgKind.community, parent=elsewhere)
    await session.commit()
    assert (await client.get("/demonstration-posts?org_id=999999", headers=auth(staff))).status_code == 404
    page = await client.get(f"/demonstration-posts?org_id={tree.community.id}", headers=auth(staff))
    assert "和平社区" in page.text and "外县社区" not in page.text


async def test_staff_pick_a_station_for_a_demonstration_post_by_name(client, session):
    tree, staff, _, _ = await setup(client, session)
    station = Station(org_id=tree.compound.id, name="幸福里调解驿站", lat=34.28, lng=119.23)
    session.add(station)
    await session.commit()
    page = await client.get("/demonstration-posts", headers=auth(staff))
    assert f'<option value="{station.id}">幸福里调解驿站</option>' in page.text
