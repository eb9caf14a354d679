"""The hot paths' SQL statements per request, pinned (issue 12): a change that adds a query to the
wall, a balance read or a check-in fails here. Transaction control (BEGIN, SAVEPOINT, RELEASE,
ROLLBACK) is not counted, so the figures are the same inside the test's outer transaction as in
production. When a change removes a statement, lower the pin in the same commit.
"""

import contextlib
from datetime import timedelta

import pytest
from sqlalchemy import event

from app import clock
from app.models.stations import Station
from app.services import ledger, qr
from tests.conftest import IS_PG
from tests.factories import auth, make_tree, make_user

API = "/api/v1"
CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")


@contextlib.contextmanager
def statements(db):
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if not statement.lstrip().upper().startswith(CONTROL):
            seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)


def pinned(sqlite: int, postgresql: int) -> int:
    return postgresql if IS_PG else sqlite


@pytest.fixture
async def world(client, session):
    """One alliance with people, a station, four published wishes, an activity and a balance; the
    session's identity map is emptied afterwards, so each counted request loads what it needs."""
    tree = await make_tree(session)
    poster = await make_user(session, name="张阿姨", home=tree.compound)
    staff = await make_user(session, name="赵网格员", role=(tree.compound, "staff"))
    admin = await make_user(session, name="李书记", role=(tree.alliance, "admin"))
    people = [await make_user(session, name=f"居民{i}", home=tree.compound) for i in range(3)]
    station = Station(org_id=tree.community.id, name="红色驿站", lat=34.28, lng=119.23)
    session.add(station)
    await session.commit()
    wishes = []
    for i in range(4):
        body = {"title": f"帮忙{i}", "description": "修水龙头", "category": "生活服务"}
        wish = (await client.post(f"{API}/wishes", json=body, headers=auth(poster))).json()
        await client.post(f"{API}/wishes/{wish['id']}/review", json={"approve": True}, headers=auth(staff))
        wishes.append(wish["id"])
    starts = clock.now() + timedelta(days=1)
    activity = await client.post(
        f"{API}/activities",
        json={
            "org_id": tree.community.id,
            "title": "义务理发",
            "kind": "志愿服务",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "capacity": 10,
        },
        headers=auth(admin),
    )
    assert activity.status_code == 201, activity.text
    await ledger.credit_service(
        session,
        org_id=tree.community.id,
        user_id=people[0].id,
        minutes=100,
        ref_type="t",
        ref_id=1,
        memo="",
        actor_id=None,
    )
    await session.commit()
    session.expunge_all()
    return {
        "tree": tree,
        "poster": poster,
        "staff": staff,
        "admin": admin,
        "people": people,
        "station": station,
        "wishes": wishes,
        "activity": activity.json()["id"],
    }


async def _count(db, call) -> int:
    """Statements `call` (a request not yet awaited) sends, with nothing cached from before, as in production."""
    with statements(db) as seen:
        resp = await call
    assert resp.status_code < 300, resp.text
    return len(seen)


async def test_wall(client, db, world):
    url = f"{API}/wishes?org_id={world['tree'].compound.id}&limit=20"
    # the person, then the page in one statement (issue 12): 6 before, when the alliance's root, the
    # org_id's node, the poster's and claimer's names and the org names were statements of their own
    assert await _count(db, client.get(url, headers=auth(world["people"][1]))) == pinned(2, 2)


async def test_balance(client, db, world):
    assert await _count(db, client.get(f"{API}/timebank/me", headers=auth(world["people"][0]))) == pinned(
        4, 4
    )


async def test_check_in(client, db, world):
    token = qr.live_token("s", world["station"].id, at=clock.now())[0]
    call = client.post(f"{API}/checkins", json={"token": token}, headers=auth(world["people"][1]))
    assert await _count(db, call) == pinned(4, 4)


async def test_transfer(client, db, world):
    sender, recipient = world["people"][0], world["people"][1]
    call = client.post(
        f"{API}/timebank/transfers",
        json={"to_phone": recipient.phone, "minutes": 5},
        headers={**auth(sender), "Idempotency-Key": "pin-1"},
    )
    # 19/18 before the per-account chain (issue 12): no chain head to lock and move, one insert for
    # all entries; PostgreSQL takes the sender's transfer lock (the day's cap)
    assert await _count(db, call) == pinned(16, 17)


async def test_sign_up(client, db, world):
    call = client.post(f"{API}/activities/{world['activity']}/signup", headers=auth(world["people"][1]))
    # PostgreSQL: the places lock (one lock order); both: one for the alliance check (issue 10: what a
    # node publishes is for its alliance's people, permissions.may_see_published)
    assert await _count(db, call) == pinned(6, 7)


async def test_claim(client, db, world):
    call = client.post(f"{API}/wishes/{world['wishes'][0]}/claim", json={}, headers=auth(world["people"][1]))
    # 15 before the claim limits (issue 10, item 9): they read the limits and the day's use in one statement,
    # the reveal is audited, and PostgreSQL takes the claimer's lock
    assert await _count(db, call) == pinned(18, 19)


async def test_verify(client, db, session, world):
    wid, volunteer, poster = world["wishes"][1], world["people"][2], world["poster"]
    await client.post(f"{API}/wishes/{wid}/claim", json={}, headers=auth(volunteer))
    await client.post(
        f"{API}/wishes/{wid}/done", json={"note": "好了", "minutes_spent": 30}, headers=auth(volunteer)
    )
    await client.post(f"{API}/wishes/{wid}/confirm", json={"rating": 5}, headers=auth(poster))
    session.expunge_all()
    call = client.post(
        f"{API}/wishes/{wid}/verify", json={"credit_minutes": 30}, headers=auth(world["staff"])
    )
    # + the alliance policy (the crediting rule); 29/28 before the per-account chain (issue 12)
    assert await _count(db, call) == pinned(27, 27)


async def test_org_stats(client, db, world):
    call = client.get(f"{API}/orgs/{world['tree'].community.id}/stats", headers=auth(world["admin"]))
    # the funnel, the service figures (sums, volunteers, beneficiaries) and the activity figures are one
    # statement each (figures.count); +1 station services, demonstration posts and teams
    assert await _count(db, call) == pinned(12, 12)
