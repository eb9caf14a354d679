"""Posts (设岗定责): staff set them up, approved members of the branch claim within the slots, leave, log."""

from tests.factories import auth, make_tree, make_user


async def approved_member(client, session, tree, org=None, *, name="党员"):
    member = await make_user(session, name=name, party="in_service")
    staff = await make_user(session, role=(tree.alliance, "staff"))
    rid = (
        await client.post(
            "/api/v1/member-reports",
            json={"employer_unit_id": tree.unit.id, "org_id": (org or tree.compound).id, "skills": []},
            headers=auth(member),
        )
    ).json()["id"]
    resp = await client.post(
        f"/api/v1/member-reports/{rid}/review", json={"approve": True}, headers=auth(staff)
    )
    assert resp.status_code == 200, resp.text
    return member


async def new_post(client, session, tree, org=None, slots=2):
    staff = await make_user(session, role=((org or tree.compound), "staff"))
    resp = await client.post(
        f"/api/v1/orgs/{(org or tree.compound).id}/posts",
        json={"title": "文明劝导员", "duty": "劝导不文明行为", "slots": slots},
        headers=auth(staff),
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


async def test_staff_creates_post(client, session):
    tree = await make_tree(session)
    post = await new_post(client, session, tree, slots=3)
    assert (post["title"], post["slots"], post["claimed"]) == ("文明劝导员", 3, 0)


async def test_resident_cannot_create_post_403(client, session):
    tree = await make_tree(session)
    resident = await make_user(session)
    resp = await client.post(
        f"/api/v1/orgs/{tree.compound.id}/posts",
        json={"title": "政策宣传员", "slots": 2},
        headers=auth(resident),
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"


async def test_approved_member_claims_and_post_counts_it(client, session):
    tree = await make_tree(session)
    post = await new_post(client, session, tree)
    member = await approved_member(client, session, tree)
    resp = await client.post(f"/api/v1/posts/{post['id']}/claim", headers=auth(member))
    assert resp.status_code == 201, resp.text
    got = (await client.get(f"/api/v1/posts/{post['id']}", headers=auth(member))).json()
    assert (got["claimed"], got["mine"]) == (1, True)


async def test_member_of_a_compound_may_claim_community_post(client, session):
    tree = await make_tree(session)
    post = await new_post(client, session, tree, tree.community)
    member = await approved_member(client, session, tree, tree.grid)
    assert (await client.post(f"/api/v1/posts/{post['id']}/claim", headers=auth(member))).status_code == 201
    open_posts = (await client.get("/api/v1/posts/open", headers=auth(member))).json()
    assert [p["id"] for p in open_posts] == [post["id"]]


async def test_pending_member_cannot_claim_403(client, session):
    tree = await make_tree(session)
    post = await new_post(client, session, tree)
    member = await make_user(session, party="in_service")
    await client.post(
        "/api/v1/member-reports",
        json={"employer_unit_id": tree.unit.id, "org_id": tree.compound.id},
        headers=auth(member),
    )
    resp = await client.post(f"/api/v1/posts/{post['id']}/claim", headers=auth(member))
    assert resp.status_code == 403
    assert resp.json()["code"] == "not_an_approved_member"


async def test_member_of_another_branch_cannot_claim_403(client, session):
    tree = await make_tree(session)
    post = await new_post(client, session, tree)
    member = await approved_member(client, session, tree, tree.other_compound)
    resp = await client.post(f"/api/v1/posts/{post['id']}/claim", headers=auth(member))
    assert resp.status_code == 403
    assert resp.json()["code"] == "not_an_approved_member"


async def test_claim_beyond_slots_gets_409_post_full(client, session):
    tree = await make_tree(session)
    post = await new_post(client, session, tree, slots=1)
    first = await approved_member(client, session, tree, name="甲")
    second = await approved_member(client, session, tree, name="乙")
    assert (await client.post(f"/api/v1/posts/{post['id']}/claim", headers=auth(first))).status_code == 201
    resp = await client.post(f"/api/v1/posts/{post['id']}/claim", headers=auth(second))
    assert resp.status_code == 409
    assert resp.json()["code"] == "post_full"


async def test_second_claim_by_same_member_gets_409(client, session):
    tree = await make_tree(session)
    post = await new_post(client, session, tree, slots=5)
    member = await approved_member(client, session, tree)
    assert (await client.post(f"/api/v1/posts/{post['id']}/claim", headers=auth(member))).status_code == 201
    resp = await client.post(f"/api/v1/posts/{post['id']}/claim", headers=auth(member))
    assert resp.status_code == 409
    assert resp.json()["code"] == "post_already_claimed"


async def test_leaving_frees_the_slot(client, session):
    tree = await make_tree(session)
    post = await new_post(client, session, tree, slots=1)
    first = await approved_member(client, session, tree, name="甲")
    second = await approved_member(client, session, tree, name="乙")
    await client.post(f"/api/v1/posts/{post['id']}/claim", headers=auth(first))
    left = await client.post(f"/api/v1/posts/{post['id']}/leave", headers=auth(first))
    assert left.status_code == 200
    assert left.json()["left_at"] is not None
    assert (await client.post(f"/api/v1/posts/{post['id']}/claim", headers=auth(second))).status_code == 201
    again = await client.post(f"/api/v1/posts/{post['id']}/leave", headers=auth(first))
    assert again.status_code == 409
    assert again.json()["code"] == "post_not_claimed"


async def test_holder_logs_work_and_others_cannot(client, session):
    tree = await make_tree(session)
    post = await new_post(client, session, tree)
    member = await approved_member(client, session, tree)
    await client.post(f"/api/v1/posts/{post['id']}/claim", headers=auth(member))
    resp = await client.post(
        f"/api/v1/posts/{post['id']}/logs",
        json={"minutes": 90, "note": "劝导乱停车 12 起"},
        headers=auth(member),
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["minutes"] == 90
    stranger = await make_user(session)
    refused = await client.post(
        f"/api/v1/posts/{post['id']}/logs", json={"minutes": 30, "note": "x"}, headers=auth(stranger)
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "post_not_claimed"
    logs = (await client.get(f"/api/v1/posts/{post['id']}/logs", headers=auth(member))).json()
    assert [(g["minutes"], g["note"]) for g in logs] == [(90, "劝导乱停车 12 起")]


async def test_posts_listed_for_the_subtree(client, session):
    tree = await make_tree(session)
    a = await new_post(client, session, tree, tree.compound)
    await new_post(client, session, tree, tree.other_compound)
    user = await make_user(session)
    resp = await client.get(f"/api/v1/orgs/{tree.community.id}/posts", headers=auth(user))
    assert [p["id"] for p in resp.json()["items"]] == [a["id"]]
