"""The in-app inbox: people hear about their wishes and claims, and see only their own messages."""

from tests.factories import auth, make_tree, make_user, problem_code

API = "/api/v1/notifications"


async def _journey(client, session):
    tree = await make_tree(session)
    poster = await make_user(session, name="许愿人", home=tree.compound)
    staff = await make_user(session, name="网格员", role=(tree.compound, "staff"))
    volunteer = await make_user(session, name="志愿者", home=tree.compound)
    wish = (
        await client.post(
            "/api/v1/wishes", json={"title": "帮忙取快递", "category": "生活服务"}, headers=auth(poster)
        )
    ).json()
    url = f"/api/v1/wishes/{wish['id']}"
    await client.post(f"{url}/review", json={"approve": True}, headers=auth(staff))
    await client.post(f"{url}/claim", headers=auth(volunteer))
    await client.post(f"{url}/done", json={"note": "已送到家", "minutes_spent": 20}, headers=auth(volunteer))
    await client.post(f"{url}/confirm", json={"rating": 5}, headers=auth(poster))
    return poster, volunteer, wish


async def test_poster_hears_published_claimed_done(client, session):
    poster, volunteer, wish = await _journey(client, session)
    resp = await client.get(API, headers=auth(poster))
    assert resp.status_code == 200
    items = resp.json()["items"]
    assert [n["kind"] for n in items] == ["wish_done", "wish_claimed", "wish_published"]
    assert items[0]["link"] == f"/wishes/{wish['id']}"
    assert items[0]["ref_type"] == "wish"
    assert items[0]["read_at"] is None
    assert "帮忙取快递" in items[1]["body"]
    volunteer_kinds = [n["kind"] for n in (await client.get(API, headers=auth(volunteer))).json()["items"]]
    assert volunteer_kinds == ["wish_confirmed"]


async def test_mark_one_and_all_read(client, session):
    poster, _, _ = await _journey(client, session)
    assert (await client.get(f"{API}/unread-count", headers=auth(poster))).json() == {"unread": 3}
    first = (await client.get(API, headers=auth(poster))).json()["items"][0]
    resp = await client.post(f"{API}/{first['id']}/read", headers=auth(poster))
    assert resp.status_code == 200
    assert resp.json()["read_at"] is not None
    unread = (await client.get(f"{API}?unread=true", headers=auth(poster))).json()["items"]
    assert len(unread) == 2
    assert (await client.post(f"{API}/read-all", headers=auth(poster))).json() == {"unread": 0}
    assert (await client.get(f"{API}/unread-count", headers=auth(poster))).json() == {"unread": 0}


async def test_someone_elses_message_is_404(client, session):
    poster, volunteer, _ = await _journey(client, session)
    mine = (await client.get(API, headers=auth(poster))).json()["items"][0]
    resp = await client.post(f"{API}/{mine['id']}/read", headers=auth(volunteer))
    assert resp.status_code == 404
    assert resp.json()["code"] == "notification_not_found"


async def test_inbox_needs_login(client):
    assert problem_code(await client.get(API), 401) == "not_authenticated"
