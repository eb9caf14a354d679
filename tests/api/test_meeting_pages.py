"""The meeting and co-building assessment pages, read as HTML through the test client."""

from datetime import timedelta

import pytest

from app import clock
from app.models.activities import Attendance
from app.models.org import UnitCommunity
from tests.factories import auth, make_tree, make_user

YEAR = clock.today().year


@pytest.fixture
async def world(session, client):
    tree = await make_tree(session)
    session.add(UnitCommunity(unit_id=tree.unit.id, community_id=tree.community.id))
    await session.commit()
    people = {
        "organiser": await make_user(session, name="社区书记", role=(tree.community, "admin")),
        "alliance_admin": await make_user(session, name="总站", role=(tree.alliance, "admin")),
        "unit_admin": await make_user(session, name="医院书记", role=(tree.unit, "admin")),
        "attendee": await make_user(session, name="参会居民", phone="13800001111", home=tree.compound),
        "resident": await make_user(session, name="本社区居民", home=tree.compound),
        "outsider": await make_user(session, name="外社区居民", home=tree.other_compound),
    }
    await client.put(
        f"/api/v1/orgs/{tree.community.id}/chair-rotation",
        json={"unit_ids": [tree.unit.id]},
        headers=auth(people["alliance_admin"]),
    )
    start = clock.now() + timedelta(hours=1)
    r = await client.post(
        "/api/v1/activities",
        json={
            "org_id": tree.community.id,
            "title": "第三季度联席会议",
            "kind": "联席会议",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "capacity": 30,
        },
        headers=auth(people["organiser"]),
    )
    meeting = r.json()["id"]
    session.add(Attendance(activity_id=meeting, user_id=people["attendee"].id, method="code"))
    await session.commit()
    return tree, people, meeting


async def test_the_organiser_sees_the_proposed_chair_and_the_forms(client, world):
    tree, people, meeting = world
    page = await client.get(f"/activities/{meeting}/meeting", headers=auth(people["organiser"]))
    assert page.status_code == 200
    assert f'data-proposed-chair="{tree.unit.id}"' in page.text
    assert 'id="minutes-form"' in page.text and 'id="item-form"' in page.text
    assert "138****1111" in page.text or "参会居民" in page.text
    detail = await client.get(f"/activities/{meeting}", headers=auth(people["organiser"]))
    assert f'href="/activities/{meeting}/meeting"' in detail.text


async def test_a_whole_joint_meeting_through_the_pages(client, world):
    tree, people, meeting = world
    h = auth(people["organiser"])
    body = {
        "text": "研究停车难",
        "public": True,
        "resolutions": [{"text": "增设停车位"}, {"text": "错时共享车位"}],
    }
    assert (
        await client.post(f"/api/v1/activities/{meeting}/minutes", json=body, headers=h)
    ).status_code == 201
    due = (clock.today() + timedelta(days=7)).isoformat()
    item = (
        await client.post(
            f"/api/v1/activities/{meeting}/action-items",
            json={"text": "开放单位停车场", "owner_org_id": tree.unit.id, "due_on": due},
            headers=h,
        )
    ).json()
    mine = await client.get("/meetings/action-items", headers=auth(people["unit_admin"]))
    assert "开放单位停车场" in mine.text and f'data-done="{item["id"]}"' in mine.text
    assert f'data-upload="/action-items/{item["id"]}/photos"' in mine.text
    await client.post(
        f"/api/v1/action-items/{item['id']}/done", json={"note": "已开放"}, headers=auth(people["unit_admin"])
    )
    # 公示 on the community's page, for its residents only; the minutes' text stays with the attendees.
    shown = await client.get("/meetings/resolutions", headers=auth(people["resident"]))
    assert "增设停车位" in shown.text and "错时共享车位" in shown.text and "县医院" in shown.text
    assert "研究停车难" not in shown.text
    assert (
        "增设停车位" not in (await client.get("/meetings/resolutions", headers=auth(people["outsider"]))).text
    )
    resident_view = await client.get(f"/activities/{meeting}/meeting", headers=auth(people["resident"]))
    assert "增设停车位" in resident_view.text and "研究停车难" not in resident_view.text
    attendee_view = await client.get(f"/activities/{meeting}/meeting", headers=auth(people["attendee"]))
    assert "研究停车难" in attendee_view.text and "已开放" in attendee_view.text
    staff_view = await client.get(f"/meetings/resolutions?org_id={tree.community.id}", headers=h)
    assert "增设停车位" in staff_view.text and "幸福社区" in staff_view.text
    admin = await client.get("/admin/meetings", headers=h)
    assert "第三季度联席会议" in admin.text and "已记纪要" in admin.text


async def test_the_alliance_admin_sets_the_rotation_on_the_console(client, world):
    tree, people, _ = world
    page = await client.get("/admin/meetings", headers=auth(people["alliance_admin"]))
    assert f'data-rotation="{tree.community.id}"' in page.text
    assert f'data-rotation="{tree.alliance.id}"' in page.text
    assert (await client.get("/admin/meetings", headers=auth(people["resident"]))).status_code == 403


async def test_assessment_pages_for_the_alliance_the_community_and_the_unit(client, world):
    tree, people, _ = world
    items = {
        "items": [{"name": "项目认领", "weight": 60, "source": "wishes_done"}, {"name": "到会", "weight": 40}]
    }
    await client.put(
        f"/api/v1/orgs/{tree.alliance.id}/assessment-items",
        json=items,
        headers=auth(people["alliance_admin"]),
    )
    agreement = (
        await client.post(
            f"/api/v1/units/{tree.unit.id}/agreements",
            json={"community_id": tree.community.id, "signed_on": f"{YEAR}-01-01", "term_months": 12},
            headers=auth(people["organiser"]),
        )
    ).json()
    await client.post(
        f"/api/v1/units/{tree.unit.id}/agreements/{agreement['id']}/commitments",
        json={"kind": "service", "title": "每季度义诊", "target": 4, "period": "year"},
        headers=auth(people["organiser"]),
    )
    community = await client.get("/admin/assessments", headers=auth(people["organiser"]))
    assert community.status_code == 200
    assert f"/admin/assessments/{tree.unit.id}/{YEAR}?community_id={tree.community.id}" in community.text
    form = await client.get(
        f"/admin/assessments/{tree.unit.id}/{YEAR}?community_id={tree.community.id}",
        headers=auth(people["organiser"]),
    )
    assert 'id="score-form"' in form.text and "认领项目完成数：0" in form.text and "每季度义诊" in form.text
    await client.put(
        f"/api/v1/units/{tree.unit.id}/assessments/{YEAR}",
        json={
            "scores": [
                {"item": "项目认领", "score": 80, "reason": "好"},
                {"item": "到会", "score": 90, "reason": "全勤"},
            ]
        },
        headers=auth(people["organiser"]),
    )
    alliance = await client.get("/admin/assessments", headers=auth(people["alliance_admin"]))
    assert 'id="items-form"' in alliance.text and f'data-approve="{tree.unit.id}"' in alliance.text
    assert "84.0 分" in alliance.text
    progress = await client.get("/units/progress", headers=auth(people["unit_admin"]))
    assert progress.status_code == 200
    assert "每季度义诊" in progress.text and "84.0 分" in progress.text and "待审定" in progress.text
    assert (await client.get("/admin/assessments", headers=auth(people["resident"]))).status_code == 403
    assert (await client.get("/units/progress", headers=auth(people["organiser"]))).status_code == 403
