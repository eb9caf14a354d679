"""The cuts the seeds report (issue 11 item 4): by child, month, category, member type, employer unit;
rankings and timings; and a unit's own stats, which stayed zero when its member completed a
dispatched wish."""

from datetime import UTC, datetime, timedelta

import pytest

from app.models.activities import Activity, Attendance
from app.models.member_reports import MemberReport
from tests.api.test_stats import _wish
from tests.factories import auth, make_tree, make_user, problem_code

T0 = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
Q = "from=2026-03-01&to=2026-04-30"


async def _county(session):
    tree = await make_tree(session)
    poster = await make_user(session, name="张阿姨", home=tree.compound)
    doctor = await make_user(session, name="冯医生", party="in_service")
    teacher = await make_user(session, name="褚老师", party="retired")
    helper = await make_user(session, name="蒋志愿者")
    session.add(
        MemberReport(
            user_id=doctor.id,
            org_id=tree.compound.id,
            employer_unit_id=tree.unit.id,
            year=2026,
            period="2026",
            status="approved",
            active=1,
            created_at=T0 - timedelta(days=30),
        )
    )
    dispatched = await _wish(
        session, org=tree.compound, poster=poster, stage="verified", claimer=doctor, minutes=60
    )
    dispatched.assigned_org_id = tree.unit.id
    dispatched.published_at = T0
    dispatched.category = "助医"
    other = await _wish(
        session,
        org=tree.other_compound,
        poster=poster,
        stage="verified",
        claimer=helper,
        at=T0 + timedelta(days=31),
        minutes=90,
    )
    other.published_at = T0 + timedelta(days=31)
    session.add_all([dispatched, other])
    act = Activity(
        org_id=tree.compound.id,
        title="清扫楼道",
        kind="志愿服务",
        starts_at=T0,
        ends_at=T0 + timedelta(hours=1),
        capacity=10,
        credit_minutes=60,
    )
    session.add(act)
    await session.flush()
    session.add(
        Attendance(
            activity_id=act.id,
            user_id=teacher.id,
            method="code",
            signed_in_at=T0,
            credited_minutes=30,
            credited_at=T0 + timedelta(hours=1),
        )
    )
    await session.commit()
    return tree, doctor, teacher, helper


async def test_cuts_by_child_month_category_member_type_and_unit(client, session):
    tree, doctor, teacher, helper = await _county(session)
    admin = await make_user(session, role=(tree.alliance, "admin"))
    resp = await client.get(f"/api/v1/orgs/{tree.alliance.id}/stats/cuts?{Q}", headers=auth(admin))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [(c["name"], c["minutes_served"], c["wishes_verified"]) for c in body["by_child"]] == [
        ("幸福社区", 90, 1),
        ("和平社区", 90, 1),
    ]
    assert [(m["month"], m["minutes_served"], m["wishes_verified"]) for m in body["by_month"]] == [
        ("2026-03", 90, 1),
        ("2026-04", 90, 1),
    ]
    assert {c["category"]: c["verified"] for c in body["by_category"]} == {"助医": 1, "生活服务": 1}
    types = {
        t["member_type"]: (t["people"], t["minutes_served"], t["wishes_done"]) for t in body["by_member_type"]
    }
    assert types == {
        "in_service": (1, 60, 1),
        "retired": (1, 30, 0),
        "mobile": (0, 0, 0),
        "resident": (1, 90, 1),
    }
    assert [(u["name"], u["minutes_served"], u["wishes_done"]) for u in body["by_unit"]] == [
        ("县医院", 60, 1)
    ]
    assert [(p["name"], p["minutes"]) for p in body["top_volunteers"]] == [
        ("蒋志愿者", 90),
        ("冯医生", 60),
        ("褚老师", 30),
    ]
    assert body["time_to_claim"] == {"count": 2, "median_hours": 1.0, "p90_hours": 1.0}
    assert body["time_to_finish"]["count"] == 2


async def test_a_units_stats_count_its_members_dispatched_wish(client, session):
    # The case: a unit's stats stayed zero after its member completed a dispatched wish.
    tree, doctor, *_ = await _county(session)
    unit_admin = await make_user(session, role=(tree.unit, "admin"))
    resp = await client.get(f"/api/v1/units/{tree.unit.id}/stats?{Q}", headers=auth(unit_admin))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["wishes_dispatched"], body["wishes_done"], body["wish_minutes"]) == (1, 1, 60)
    assert (body["members"], body["members_serving"], body["member_minutes"]) == (1, 1, 60)


@pytest.mark.parametrize(
    ("who", "cuts", "unit"),
    [
        ("alliance_admin", 200, 200),
        ("community_staff", 200, 404),
        ("unit_admin", 403, 200),
        ("other_unit_admin", 403, 404),
        ("resident", 403, 404),
    ],
)
async def test_who_may_read_the_cuts_and_a_units_stats(client, session, who, cuts, unit):
    from app.models.org import OrgKind
    from app.services import orgs as orgs_service

    tree = await make_tree(session)
    other_unit = await orgs_service.add_org(session, name="县一中", kind=OrgKind.unit, parent=tree.alliance)
    await session.commit()
    roles = {
        "alliance_admin": (tree.alliance, "admin"),
        "community_staff": (tree.community, "staff"),
        "unit_admin": (tree.unit, "admin"),
        "other_unit_admin": (other_unit, "admin"),
        "resident": None,
    }
    actor = await make_user(session, role=roles[who])
    target = tree.community if who == "community_staff" else tree.alliance
    got = await client.get(f"/api/v1/orgs/{target.id}/stats/cuts?{Q}", headers=auth(actor))
    assert got.status_code == cuts, got.text
    got = await client.get(f"/api/v1/units/{tree.unit.id}/stats?{Q}", headers=auth(actor))
    assert got.status_code == unit, got.text


async def test_the_stats_page_shows_the_cuts_and_drills_down_to_a_child(client, session):
    tree, *_ = await _county(session)
    admin = await make_user(session, role=(tree.alliance, "admin"))
    page = (await client.get(f"/admin/stats?org_id={tree.alliance.id}&{Q}", headers=auth(admin))).text
    assert f'href="/admin/stats?org_id={tree.community.id}&amp;from=2026-03-01&amp;to=2026-04-30"' in page
    for text in ("在职党员（1 人）", "完成心愿 1 · 1小时", "县医院（1 人）", "1. 蒋志愿者", "中位 1.0 小时"):
        assert text in page, text
    child = (await client.get(f"/admin/stats?org_id={tree.community.id}&{Q}", headers=auth(admin))).text
    assert f'<option value="{tree.community.id}" selected>幸福社区</option>' in child
    records = f"/admin/stats/records?figure=minutes_served&amp;org_id={tree.community.id}&amp;from=2026-03-01&amp;to=2026-04-30"
    assert f'id="minutes-served"><a class="app-fig" href="{records}">1小时30分</a><' in child


async def test_the_unit_admins_page_shows_the_units_own_figures(client, session):
    tree, *_ = await _county(session)
    unit_admin = await make_user(session, role=(tree.unit, "admin"))
    page = (await client.get("/admin/reports?year=2026", headers=auth(unit_admin))).text
    assert "县医院 · 2026年度共建成效" in page
    assert "1 / 1（1小时）" in page  # the dispatched wish its member completed


async def test_a_units_activity_in_its_community_counts_there_and_for_the_unit(client, session):
    # The case: a unit's activity in a community did not count there.
    from app import clock
    from app.models.org import UnitCommunity

    tree = await make_tree(session)
    session.add(UnitCommunity(unit_id=tree.unit.id, community_id=tree.community.id))
    await session.commit()
    unit_staff = await make_user(session, role=(tree.unit, "staff"))
    start = clock.now() + timedelta(days=1)
    body = {
        "title": "县医院义诊进社区",
        "kind": "志愿服务",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": 20,
        "credit_minutes": 120,
        "host_org_id": tree.unit.id,
    }
    made = await client.post(
        "/api/v1/activities", json={**body, "org_id": tree.compound.id}, headers=auth(unit_staff)
    )
    assert made.status_code == 201, made.text
    assert (made.json()["org_id"], made.json()["host_org_id"]) == (tree.compound.id, tree.unit.id)
    # The unit's staff organise it (its live code), though the activity belongs to the compound.
    assert (
        await client.get(f"/api/v1/activities/{made.json()['id']}/qr", headers=auth(unit_staff))
    ).status_code == 200
    elsewhere = await client.post(
        "/api/v1/activities", json={**body, "org_id": tree.other_compound.id}, headers=auth(unit_staff)
    )
    assert elsewhere.status_code == 409
    assert elsewhere.json()["code"] == "unit_not_assigned"
    outsider = await make_user(session, role=(tree.other_community, "staff"))
    assert (
        problem_code(
            await client.post(
                "/api/v1/activities", json={**body, "org_id": tree.compound.id}, headers=auth(outsider)
            ),
            403,
        )
        == "forbidden"
    )
    day = start.astimezone(clock.CHINA).date()
    q = f"from={day.replace(day=1)}&to={day}"
    community_staff = await make_user(session, role=(tree.community, "staff"))
    stats = (
        await client.get(f"/api/v1/orgs/{tree.community.id}/stats?{q}", headers=auth(community_staff))
    ).json()
    assert stats["activities"] == 1
    unit_admin = await make_user(session, role=(tree.unit, "admin"))
    unit = (await client.get(f"/api/v1/units/{tree.unit.id}/stats?{q}", headers=auth(unit_admin))).json()
    assert unit["activities_hosted"] == 1
    # Staff of a community the unit is assigned to (who assess it) see its figures; others do not.
    seen = await client.get(f"/api/v1/units/{tree.unit.id}/stats?{q}", headers=auth(community_staff))
    assert seen.status_code == 200
    assert (
        problem_code(await client.get(f"/api/v1/units/{tree.unit.id}/stats?{q}", headers=auth(outsider)), 404)
        == "unit_not_found"
    )


async def test_a_units_staff_may_pick_its_communities_on_the_activities_page(client, session):
    from app.models.org import UnitCommunity

    tree = await make_tree(session)
    session.add(UnitCommunity(unit_id=tree.unit.id, community_id=tree.community.id))
    await session.commit()
    unit_staff = await make_user(session, role=(tree.unit, "staff"))
    page = (await client.get("/admin/activities", headers=auth(unit_staff))).text
    assert (
        f'<option value="{tree.community.id}" data-host="{tree.unit.id}">幸福社区（县医院主办）</option>'
        in page
    )


async def test_the_yearly_workbook_has_a_sheet_per_cut_and_the_months_sum_to_the_total(client, session):
    import io

    from openpyxl import load_workbook

    from app import clock

    tree, *_ = await _county(session)
    clock.travel(datetime(2026, 12, 20, tzinfo=UTC) - clock.now())  # the year has run its course
    admin = await make_user(session, role=(tree.alliance, "admin"))
    resp = await client.get(
        f"/api/v1/orgs/{tree.alliance.id}/stats/yearly.xlsx?year=2026", headers=auth(admin)
    )
    assert resp.status_code == 200, resp.text
    assert "filename*=UTF-8''" in resp.headers["content-disposition"]
    book = load_workbook(io.BytesIO(resp.content), read_only=True)
    assert book.sheetnames == [
        "汇总",
        "按下级组织",
        "按月",
        "按类别",
        "按党员类型",
        "按共建单位",
        "志愿者排行",
        "办理时效",
    ]
    summary = dict(book["汇总"].iter_rows(min_row=2, values_only=True))
    months = list(book["按月"].iter_rows(min_row=2, values_only=True))
    assert sum(m[5] for m in months) == summary["服务时长（分钟）"] == 180
    assert [r[1] for r in book["志愿者排行"].iter_rows(min_row=2, values_only=True)] == [
        "蒋志愿者",
        "冯医生",
        "褚老师",
    ]
    units = list(book["按共建单位"].iter_rows(min_row=2, values_only=True))
    assert units[0][0] == "县医院"
    staff_elsewhere = await make_user(session, role=(tree.other_community, "staff"))
    refused = await client.get(
        f"/api/v1/orgs/{tree.alliance.id}/stats/yearly.xlsx?year=2026", headers=auth(staff_elsewhere)
    )
    assert refused.status_code == 403
