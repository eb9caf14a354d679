"""A small but complete site for tests that walk every page: one of each thing, and who may see it.

site = await build_site(page_db, server)
for path in site.pages: ...   # every page, as the staff member (who may open them all)
"""

from dataclasses import dataclass
from datetime import timedelta

import httpx

from app import clock
from app.models.activities import Activity
from app.models.stations import Station
from tests.factories import auth, make_tree, make_user


@dataclass
class Site:
    staff: object  # community staff, party member and station master: may open every page
    resident: object
    pages: list[str]


async def build_site(page_db, server) -> Site:
    async with page_db.session() as s:
        tree = await make_tree(s)
        staff = await make_user(
            s, name="赵书记", home=tree.compound, role=(tree.community, "staff"), party="in_service"
        )
        resident = await make_user(s, name="张阿姨", home=tree.compound)
        station = Station(
            org_id=tree.compound.id,
            name="幸福里红色驿站",
            lat=34.2867,
            lng=119.2390,
            services=["饮水", "充电"],
            master_id=staff.id,
        )
        start = clock.now() + timedelta(days=1)
        activity = Activity(
            org_id=tree.community.id,
            title="敬老院志愿服务",
            kind="volunteer",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            location="幸福社区敬老院",
            capacity=20,
            created_by_id=staff.id,
        )
        s.add_all([station, activity])
        await s.commit()
    async with httpx.AsyncClient(base_url=server + "/api/v1") as api:
        wish = await api.post(
            "/wishes", json={"title": "帮忙取药", "category": "生活服务"}, headers=auth(resident)
        )
        assert wish.status_code == 201, wish.text
        event = await api.post(
            "/events",
            json={"org_id": tree.compound.id, "category": "环境卫生", "description": "3号楼楼道堆满杂物"},
            headers=auth(resident),
        )
        assert event.status_code == 201, event.text
        team = await api.post(
            "/teams",
            json={
                "name": "幸福志愿服务队",
                "kind": "volunteer",
                "org_id": tree.community.id,
                "leader_id": staff.id,
            },
            headers=auth(staff),
        )
        assert team.status_code == 201, team.text
        card = await api.get(f"/members/{staff.id}/card", headers=auth(staff))
        assert card.status_code == 200, card.text
    pages = [
        "/",
        "/me",
        "/notifications",
        "/wishes",
        "/wishes?mine=true",
        "/wishes/new",
        f"/wishes/{wish.json()['id']}",
        "/activities",
        f"/activities/{activity.id}",
        "/stations",
        f"/stations/{station.id}",
        "/scan",
        "/events/new",
        f"/events/{event.json()['id']}",
        "/report",
        "/timebank",
        "/admin",
        "/admin/wishes",
        "/admin/activities",
        "/admin/stations",
        "/admin/events",
        "/admin/reports",
        "/admin/stats",
        f"/admin/stats/screen?org_id={tree.community.id}",
        f"/admin/stats/records?figure=wishes.posted&org_id={tree.community.id}",
        "/timebank/rewards/manage",
        "/teams",
        f"/teams/{team.json()['id']}",
        "/demonstration-posts",
        "/card",
        f"/m/{card.json()['code']}",
        f"/stations/{station.id}/services",
    ]
    return Site(staff=staff, resident=resident, pages=pages)
