"""扫码为你服务: a member's card code, its QR, the public profile it opens, promises, and 请他帮忙."""

import pytest

from tests.factories import auth, make_tree, make_user


async def member_with_card(client, session, tree):
    member = await make_user(session, name="王红", home=tree.compound, party="in_service")
    member.skills = ["理发", "维修"]
    session.add(member)
    await session.commit()
    card = (await client.get(f"/api/v1/members/{member.id}/card", headers=auth(member))).json()
    return member, card


async def test_member_gets_card_and_sets_promises(client, session):
    tree = await make_tree(session)
    member, card = await member_with_card(client, session, tree)
    assert card["code"].startswith(f"{member.id}-")
    assert card["url"].endswith(f"/m/{card['code']}")
    assert card["commitments"] == []
    resp = await client.put(
        f"/api/v1/members/{member.id}/card",
        json={"commitments": ["每周六义务理发", "随叫随到修水电", "每周六义务理发"]},
        headers=auth(member),
    )
    assert resp.json()["commitments"] == ["每周六义务理发", "随叫随到修水电"]
    svg = await client.get(f"/api/v1/members/{member.id}/card.svg", headers=auth(member))
    assert (svg.status_code, svg.headers["content-type"]) == (200, "image/svg+xml")
    assert svg.text.startswith("<svg")


@pytest.mark.parametrize(
    ("who", "read", "write"),
    [("self", 200, 200), ("home_staff", 200, 403), ("other_staff", 404, 404), ("resident", 404, 404)],
)
async def test_who_may_see_and_change_a_card(client, session, who, read, write):
    tree = await make_tree(session)
    member, _ = await member_with_card(client, session, tree)
    actor = {
        "self": member,
        "home_staff": await make_user(session, role=(tree.community, "staff")),
        "other_staff": await make_user(session, role=(tree.other_community, "staff")),
        "resident": await make_user(session, home=tree.compound),
    }[who]
    assert (await client.get(f"/api/v1/members/{member.id}/card", headers=auth(actor))).status_code == read
    resp = await client.put(
        f"/api/v1/members/{member.id}/card", json={"commitments": ["帮忙代购"]}, headers=auth(actor)
    )
    assert resp.status_code == write, resp.text


async def test_no_card_for_someone_not_serving(client, session):
    tree = await make_tree(session)
    resident = await make_user(session, home=tree.compound)
    resp = await client.get(f"/api/v1/members/{resident.id}/card", headers=auth(resident))
    assert (resp.status_code, resp.json()["code"]) == (409, "card_not_available")


async def test_scanning_shows_masked_profile_and_forged_code_is_404(client, session):
    tree = await make_tree(session)
    member, card = await member_with_card(client, session, tree)
    await client.put(
        f"/api/v1/members/{member.id}/card", json={"commitments": ["义务理发"]}, headers=auth(member)
    )
    resident = await make_user(session, home=tree.compound)
    got = (await client.get(f"/api/v1/member-cards/{card['code']}", headers=auth(resident))).json()
    assert (got["name"], got["phone"], got["skills"], got["commitments"], got["member_type_label"]) == (
        "王红",
        f"{member.phone[:3]}****{member.phone[-4:]}",
        ["理发", "维修"],
        ["义务理发"],
        "在职党员",
    )
    for bad in (f"{member.id}-AAAAAAAAAAAA", card["code"].replace(f"{member.id}-", f"{member.id + 1}-"), "x"):
        resp = await client.get(f"/api/v1/member-cards/{bad}", headers=auth(resident))
        assert (resp.status_code, resp.json()["code"]) == (404, "card_not_found")
    page = await client.get(f"/m/{card['code']}", headers=auth(resident))
    assert page.status_code == 200
    assert "义务理发" in page.text and member.phone not in page.text


async def test_ask_for_help_makes_a_wish_only_that_member_may_claim(client, session):
    tree = await make_tree(session)
    member, card = await member_with_card(client, session, tree)
    resident = await make_user(session, name="张阿姨", home=tree.compound)
    resp = await client.post(
        f"/api/v1/member-cards/{card['code']}/help",
        json={"title": "请帮忙理发", "description": "行动不便", "category": "生活服务"},
        headers=auth(resident),
    )
    assert resp.status_code == 201, resp.text
    wish = resp.json()
    assert (wish["status"], wish["assigned_user_id"], wish["events"][0]["note"]) == (
        "submitted",
        member.id,
        "扫码请王红帮忙",
    )
    staff = await make_user(session, role=(tree.compound, "staff"))
    await client.post(f"/api/v1/wishes/{wish['id']}/review", json={"approve": True}, headers=auth(staff))
    inbox = (await client.get("/api/v1/notifications", headers=auth(member))).json()["items"]
    assert [n["kind"] for n in inbox][:1] == ["wish_dispatched"]
    other = await make_user(session, home=tree.compound)
    resp = await client.post(f"/api/v1/wishes/{wish['id']}/claim", headers=auth(other))
    assert (resp.status_code, resp.json()["code"]) == (403, "wish_asked_of_member")
    assert (await client.post(f"/api/v1/wishes/{wish['id']}/claim", headers=auth(member))).status_code == 200


async def test_ask_the_members_team_and_bad_requests(client, session):
    tree = await make_tree(session)
    member, card = await member_with_card(client, session, tree)
    staff = await make_user(session, role=(tree.community, "staff"))
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
    resident = await make_user(session, home=tree.compound)
    url = f"/api/v1/member-cards/{card['code']}/help"
    resp = await client.post(url, json={"title": "请理发队来", "team_id": team["id"]}, headers=auth(resident))
    assert (resp.status_code, resp.json()["assigned_team_id"]) == (201, team["id"])
    resp = await client.post(url, json={"title": "请理发队来", "team_id": 999999}, headers=auth(resident))
    assert (resp.status_code, resp.json()["code"]) == (422, "invalid_team")
    resp = await client.post(url, json={"title": "自己帮自己"}, headers=auth(member))
    assert (resp.status_code, resp.json()["code"]) == (409, "cannot_ask_yourself")
    resp = await client.post(url, json={"title": "x"}, headers=auth(resident))
    assert (resp.status_code, resp.json()["code"]) == (422, "validation_error")


async def test_card_svg_is_a_standalone_image():
    from app.services import qr

    svg = await qr.svg("https://example.org/m/1-abc")
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" ')
