"""The home page gathers the compound's wish wall, nearby stations and upcoming activities."""

from datetime import timedelta

from app import clock
from app.models.activities import Activity
from app.models.stations import Station
from app.models.wishes import Wish
from tests.factories import auth, make_tree, make_user


async def test_home_shows_wall_stations_and_activities(client, session):
    tree = await make_tree(session)
    resident = await make_user(session, home=tree.compound)
    session.add(
        Wish(
            org_id=tree.compound.id,
            poster_id=resident.id,
            title="帮忙修水龙头",
            category="生活服务",
            status="published",
        )
    )
    session.add(
        Station(org_id=tree.compound.id, name="幸福里红色驿站", address="幸福路1号", lat=34.6, lng=119.2)
    )
    now = clock.now()
    session.add(
        Activity(
            org_id=tree.community.id,
            title="十二月主题党日",
            kind="主题党日",
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=1, hours=2),
            capacity=30,
        )
    )
    await session.commit()
    resp = await client.get("/", headers=auth(resident))
    assert resp.status_code == 200
    for text in ("幸福里小区", "帮忙修水龙头", "幸福里红色驿站", "十二月主题党日"):
        assert text in resp.text


async def test_home_redirects_strangers_to_login(client):
    resp = await client.get("/")
    assert resp.status_code == 303
    assert resp.headers["location"] == "/login?next=/"
