"""The four lists: exactly the right rows for the subtree and period, as JSON and as workbooks."""

import io
from datetime import timedelta

from openpyxl import load_workbook

from app import clock
from app.models.org import UnitCommunity
from app.models.resources import UnitResource
from app.models.wishes import Wish
from tests.factories import auth, make_tree, make_user, problem_code

BASE = "/api/v1/orgs"


async def _world(session):
    tree = await make_tree(session)
    staff = await make_user(session, name="社区干部", role=(tree.community, "staff"))
    poster = await make_user(session, name="张阿姨", phone="13800001111", home=tree.compound)
    vol_a = await make_user(session, name="志愿者甲", home=tree.compound)
    vol_b = await make_user(session, name="志愿者乙", home=tree.compound)
    return tree, staff, poster, vol_a, vol_b


def _wish(tree_org, poster, title, status="published", **kw) -> Wish:
    return Wish(org_id=tree_org.id, poster_id=poster.id, title=title, category="助老", status=status, **kw)


def _sheet(content: bytes):
    ws = load_workbook(io.BytesIO(content)).active
    return [list(r) for r in ws.iter_rows(values_only=True)]


async def test_needs_lists_every_wish_posted_in_period_whatever_state(client, session):
    tree, staff, poster, *_ = await _world(session)
    last_year = clock.now() - timedelta(days=400)
    rows = [
        _wish(tree.compound, poster, "买药"),
        _wish(tree.grid, poster, "修灯", status="submitted"),
        _wish(tree.compound, poster, "已撤回", status="cancelled"),
        _wish(tree.other_compound, poster, "别的社区"),
        _wish(tree.compound, poster, "去年的", created_at=last_year),
    ]
    session.add_all(rows)
    await session.commit()
    resp = await client.get(f"{BASE}/{tree.community.id}/lists/needs", headers=auth(staff))
    assert resp.status_code == 200, resp.text
    items = resp.json()["items"]
    assert [i["title"] for i in items] == ["买药", "修灯", "已撤回"]
    assert [i["status_label"] for i in items] == ["待认领", "待审核", "已撤回"]
    assert items[0]["poster_phone"] == "13800001111"
    resp = await client.get(f"{BASE}/{tree.community.id}/lists/needs.xlsx", headers=auth(staff))
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "filename*=UTF-8''" in resp.headers["content-disposition"]
    sheet = _sheet(resp.content)
    assert sheet[0] == [
        "编号",
        "心愿",
        "类别",
        "所在小区",
        "许愿人",
        "联系电话",
        "状态",
        "提交时间",
        "截止时间",
    ]
    assert [r[1] for r in sheet[1:]] == ["买药", "修灯", "已撤回"]
    assert len(sheet) == 4


async def test_period_filters_by_china_dates(client, session):
    tree, staff, poster, *_ = await _world(session)
    old = clock.now() - timedelta(days=400)
    session.add_all(
        [_wish(tree.compound, poster, "新的"), _wish(tree.compound, poster, "旧的", created_at=old)]
    )
    await session.commit()
    day = (old + timedelta(hours=8)).date().isoformat()
    resp = await client.get(
        f"{BASE}/{tree.alliance.id}/lists/needs?from={day}&to={day}",
        headers=auth(await make_user(session, role=(tree.alliance, "admin"))),
    )
    assert [i["title"] for i in resp.json()["items"]] == ["旧的"]


async def test_claims_list_every_claim_with_promised_dates(client, session):
    tree, staff, poster, vol_a, vol_b = await _world(session)
    wish = _wish(tree.compound, poster, "陪诊")
    session.add(wish)
    await session.commit()
    promise = (clock.now() + timedelta(days=8 + 3)).date().isoformat()
    url = f"/api/v1/wishes/{wish.id}"
    assert (
        await client.post(f"{url}/claim", json={"promise_date": promise}, headers=auth(vol_a))
    ).status_code == 200
    await client.post(f"{url}/release", headers=auth(vol_a))
    await client.post(f"{url}/claim", headers=auth(vol_b))
    await client.post(
        f"{url}/done", json={"note": "陪同去医院复查", "minutes_spent": 120}, headers=auth(vol_b)
    )
    items = (await client.get(f"{BASE}/{tree.compound.id}/lists/claims", headers=auth(staff))).json()["items"]
    assert [(i["claimer_name"], i["outcome_label"]) for i in items] == [
        ("志愿者甲", "已放弃"),
        ("志愿者乙", "已完成"),
    ]
    assert items[0]["promise_date"] == promise
    assert [i["measures"] for i in items] == [None, "陪同去医院复查"]
    sheet = _sheet(
        (await client.get(f"{BASE}/{tree.compound.id}/lists/claims.xlsx", headers=auth(staff))).content
    )
    assert sheet[0][:3] == ["认领编号", "心愿编号", "心愿"]
    assert [r[4] for r in sheet[1:]] == ["志愿者甲", "志愿者乙"]
    assert sheet[1][6] == promise


async def test_results_list_verified_wishes_with_rating_and_minutes(client, session):
    tree, staff, poster, vol_a, _ = await _world(session)
    now = clock.now()
    session.add_all(
        [
            _wish(
                tree.compound,
                poster,
                "理发",
                status="verified",
                claimer_id=vol_a.id,
                rating=5,
                comment="手艺好",
                credit_minutes=60,
                minutes_spent=50,
                done_note="上门理发",
                verified_at=now,
                verify_note="回访满意",
            ),
            _wish(tree.compound, poster, "待验收", status="confirmed", claimer_id=vol_a.id, rating=4),
        ]
    )
    await session.commit()
    items = (await client.get(f"{BASE}/{tree.community.id}/lists/results", headers=auth(staff))).json()[
        "items"
    ]
    assert [
        (i["title"], i["rating"], i["comment"], i["credit_minutes"], i["claimer_name"]) for i in items
    ] == [("理发", 5, "手艺好", 60, "志愿者甲")]
    sheet = _sheet(
        (await client.get(f"{BASE}/{tree.community.id}/lists/results.xlsx", headers=auth(staff))).content
    )
    assert len(sheet) == 2
    assert sheet[1][1:10] == ["理发", "助老", "幸福里小区", "志愿者甲", "上门理发", 50, 5, "手艺好", 60]


async def test_resources_of_units_serving_the_subtree(client, session):
    tree, staff, *_ = await _world(session)
    from app.services import orgs as orgs_service

    far_unit = await orgs_service.add_org(session, name="县供电公司", kind="unit", parent=tree.alliance)
    session.add(UnitCommunity(unit_id=tree.unit.id, community_id=tree.community.id))
    session.add(UnitCommunity(unit_id=far_unit.id, community_id=tree.other_community.id))
    session.add_all(
        [
            UnitResource(
                unit_id=tree.unit.id,
                title="义诊",
                category="医疗健康",
                contact_name="刘医生",
                contact_phone="13900001234",
            ),
            UnitResource(unit_id=tree.unit.id, title="停用的", category="其他", active=False),
            UnitResource(unit_id=far_unit.id, title="电路检修", category="生活服务"),
        ]
    )
    await session.commit()
    items = (await client.get(f"{BASE}/{tree.compound.id}/lists/resources", headers=auth(staff))).json()[
        "items"
    ]
    assert [(i["unit_name"], i["title"], i["contact_phone"]) for i in items] == [
        ("县医院", "义诊", "139****1234")
    ]
    admin = await make_user(session, role=(tree.alliance, "admin"))
    items = (await client.get(f"{BASE}/{tree.alliance.id}/lists/resources", headers=auth(admin))).json()[
        "items"
    ]
    assert [i["title"] for i in items] == ["义诊", "电路检修"]
    sheet = _sheet(
        (await client.get(f"{BASE}/{tree.alliance.id}/lists/resources.xlsx", headers=auth(admin))).content
    )
    assert sheet[0] == ["共建单位", "资源名称", "类别", "服务内容", "联系人", "联系电话", "发布时间"]
    assert len(sheet) == 3


async def test_lists_are_for_staff_over_the_org_only(client, session):
    tree, staff, poster, *_ = await _world(session)
    far_staff = await make_user(session, role=(tree.other_community, "staff"))
    for who in (poster, far_staff):
        for path in ("needs", "needs.xlsx", "results.xlsx"):
            resp = await client.get(f"{BASE}/{tree.community.id}/lists/{path}", headers=auth(who))
            assert resp.status_code == 403
            assert resp.json()["code"] == "forbidden"
    assert (
        problem_code(await client.get(f"{BASE}/{tree.community.id}/lists/needs"), 401) == "not_authenticated"
    )


async def test_json_lists_paginate_with_cursor(client, session):
    tree, staff, poster, *_ = await _world(session)
    session.add_all([_wish(tree.compound, poster, f"心愿{i}") for i in range(3)])
    await session.commit()
    first = (await client.get(f"{BASE}/{tree.community.id}/lists/needs?limit=2", headers=auth(staff))).json()
    assert [i["title"] for i in first["items"]] == ["心愿0", "心愿1"]
    second = (
        await client.get(
            f"{BASE}/{tree.community.id}/lists/needs?limit=2&cursor={first['next_cursor']}",
            headers=auth(staff),
        )
    ).json()
    assert [i["title"] for i in second["items"]] == ["心愿2"]
    assert second["next_cursor"] is None


async def test_unit_staff_publish_resources_and_others_see_masked_phone(client, session):
    tree, staff, poster, *_ = await _world(session)
    unit_admin = await make_user(session, role=(tree.unit, "admin"))
    body = {
        "unit_id": tree.unit.id,
        "title": "每月义诊",
        "category": "医疗健康",
        "contact_name": "刘医生",
        "contact_phone": "13900001234",
    }
    assert (
        problem_code(await client.post("/api/v1/resources", json=body, headers=auth(poster)), 403)
        == "forbidden"
    )
    resp = await client.post("/api/v1/resources", json=body, headers=auth(unit_admin))
    assert resp.status_code == 201, resp.text
    rid = resp.json()["id"]
    listed = (await client.get(f"/api/v1/resources?unit_id={tree.unit.id}", headers=auth(poster))).json()[
        "items"
    ]
    assert [(r["title"], r["contact_phone"]) for r in listed] == [("每月义诊", "139****1234")]
    listed = (await client.get("/api/v1/resources", headers=auth(unit_admin))).json()["items"]
    assert listed[0]["contact_phone"] == "13900001234"
    resp = await client.post(f"/api/v1/resources/{rid}/withdraw", headers=auth(unit_admin))
    assert resp.json()["active"] is False
    assert (await client.get("/api/v1/resources", headers=auth(poster))).json()["items"] == []


async def test_resource_for_non_unit_is_404(client, session):
    tree, staff, *_ = await _world(session)
    body = {"unit_id": tree.compound.id, "title": "不是单位", "category": "其他"}
    resp = await client.post("/api/v1/resources", json=body, headers=auth(staff))
    assert resp.status_code == 404
    assert resp.json()["code"] == "unit_not_found"


async def test_period_ending_before_it_starts_is_422(client, session):
    tree, staff, *_ = await _world(session)
    resp = await client.get(
        f"{BASE}/{tree.community.id}/lists/needs?from=2026-05-02&to=2026-05-01", headers=auth(staff)
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid_period"


async def test_export_keeps_text_with_control_characters_or_a_leading_equals_sign(client, session):
    tree, staff, poster, *_ = await _world(session)
    session.add_all(
        [_wish(tree.compound, poster, "买\x01药\x1f"), _wish(tree.compound, poster, '=HYPERLINK("x")')]
    )
    await session.commit()
    resp = await client.get(f"{BASE}/{tree.community.id}/lists/needs.xlsx", headers=auth(staff))
    assert resp.status_code == 200, resp.text
    ws = load_workbook(io.BytesIO(resp.content)).active
    assert [ws.cell(row=r, column=2).value for r in (2, 3)] == ["买药", '=HYPERLINK("x")']
    assert [ws.cell(row=r, column=2).data_type for r in (2, 3)] == ["s", "s"]


async def test_period_at_the_end_of_the_calendar_is_422_not_500(client, session):
    tree, staff, *_ = await _world(session)
    for path in ("needs", "needs.xlsx"):
        resp = await client.get(
            f"{BASE}/{tree.community.id}/lists/{path}?from=9999-12-30&to=9999-12-31", headers=auth(staff)
        )
        assert resp.status_code == 422, path
        assert [(e["field"], e["code"]) for e in resp.json()["errors"]] == [
            ("from", "date_out_of_range"),
            ("to", "date_out_of_range"),
        ]
