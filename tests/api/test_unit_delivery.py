"""Units that deliver: commitments counted from the records, the itemised assessment, 审定, ranking and progress."""

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from app import clock
from app.models.activities import Activity
from app.models.org import UnitCommunity
from app.models.resources import UnitResource
from app.models.wishes import Wish
from app.services import orgs as orgs_service
from tests.factories import auth, make_tree, make_user, problem_code

YEAR = clock.today().year
ITEMS = {
    "items": [
        {"name": "项目认领", "weight": 40, "source": "wishes_done"},
        {"name": "活动开展", "weight": 30, "source": "activities_run"},
        {"name": "联席会议参与", "weight": 30},
    ]
}
SCORES = {
    "scores": [
        {"item": "项目认领", "score": 90, "reason": "认领并完成两个项目"},
        {"item": "活动开展", "score": 80, "reason": "开展义诊"},
        {"item": "联席会议参与", "score": 100, "reason": "每次都到会"},
    ]
}


@pytest.fixture
async def world(session, client):
    tree = await make_tree(session)
    session.add(UnitCommunity(unit_id=tree.unit.id, community_id=tree.community.id))
    await session.commit()
    people = {
        "alliance_admin": await make_user(session, name="总站", role=(tree.alliance, "admin")),
        "alliance_staff": await make_user(session, name="总站干事", role=(tree.alliance, "staff")),
        "community_admin": await make_user(session, name="社区书记", role=(tree.community, "admin")),
        "community_staff": await make_user(session, name="社区干事", role=(tree.community, "staff")),
        "other_admin": await make_user(session, name="外社区书记", role=(tree.other_community, "admin")),
        "unit_admin": await make_user(session, name="医院书记", role=(tree.unit, "admin")),
        "resident": await make_user(session, name="居民", home=tree.compound),
    }
    signed = clock.today().replace(month=1, day=1)
    r = await client.post(
        f"/api/v1/units/{tree.unit.id}/agreements",
        json={"community_id": tree.community.id, "signed_on": signed.isoformat(), "term_months": 24},
        headers=auth(people["community_admin"]),
    )
    assert r.status_code == 201, r.text
    return tree, people, r.json()["id"]


def _commitment(kind="project", target=4, period="year"):
    return {"kind": kind, "title": "认领群众微心愿", "target": target, "period": period}


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("community_admin", 201),
        ("alliance_admin", 201),
        ("community_staff", 403),
        ("unit_admin", 403),
        ("other_admin", 404),
        ("resident", 404),
    ],
)
async def test_who_may_add_commitments(client, world, who, status):
    tree, people, agreement = world
    r = await client.post(
        f"/api/v1/units/{tree.unit.id}/agreements/{agreement}/commitments",
        json=_commitment(),
        headers=auth(people[who]),
    )
    assert r.status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("community_staff", 200),
        ("unit_admin", 200),
        ("alliance_staff", 200),
        ("other_admin", 404),
        ("resident", 404),
    ],
)
async def test_who_may_read_commitments(client, world, who, status):
    tree, people, agreement = world
    r = await client.get(
        f"/api/v1/units/{tree.unit.id}/agreements/{agreement}/commitments", headers=auth(people[who])
    )
    assert r.status_code == status


async def test_progress_is_counted_from_the_records(client, session, world):
    tree, people, agreement = world
    url = f"/api/v1/units/{tree.unit.id}/agreements/{agreement}/commitments"
    h = auth(people["community_admin"])
    for kind in ("project", "service", "resource"):
        assert (await client.post(url, json=_commitment(kind), headers=h)).status_code == 201
    now = clock.now()
    session.add(UnitResource(unit_id=tree.unit.id, title="义诊", category="医疗"))
    for category, status, org in (
        ("医疗", "verified", tree.compound),  # done in the community, in a category the unit offers
        ("家政", "done", tree.compound),  # done in the community
        ("家政", "claimed", tree.compound),  # not done yet
        ("医疗", "done", tree.other_compound),  # another community's
    ):
        session.add(
            Wish(
                org_id=org.id,
                poster_id=people["resident"].id,
                title="心愿",
                category=category,
                status=status,
                assigned_org_id=tree.unit.id,
                done_at=now if status != "claimed" else None,
            )
        )
    session.add(
        Activity(
            org_id=tree.unit.id,
            title="义诊",
            kind="志愿服务",
            starts_at=now,
            ends_at=now + timedelta(hours=2),
            capacity=10,
        )
    )
    await session.commit()
    got = {c["kind"]: c for c in (await client.get(url, headers=h)).json()}
    assert (got["project"]["progress"], got["project"]["percent"]) == (2, 50)
    assert got["service"]["progress"] == 1
    assert got["resource"]["progress"] == 1
    assert got["project"]["period_start"] == f"{YEAR}-01-01"


async def test_commitment_input_is_checked(client, world):
    tree, people, agreement = world
    url = f"/api/v1/units/{tree.unit.id}/agreements/{agreement}/commitments"
    h = auth(people["community_admin"])
    assert (
        problem_code(await client.post(url, json=_commitment(kind="money"), headers=h), 422)
        == "validation_error"
    )
    assert (
        problem_code(await client.post(url, json=_commitment(target=0), headers=h), 422) == "validation_error"
    )
    assert (
        problem_code(await client.post(url, json={**_commitment(), "target": "4"}, headers=h), 422)
        == "validation_error"
    )
    other_unit = await client.get(
        f"/api/v1/units/{tree.compound.id}/agreements/{agreement}/commitments", headers=h
    )
    assert (other_unit.status_code, other_unit.json()["code"]) == (404, "agreement_not_found")


# ---- the itemised assessment ----


@pytest.mark.parametrize(
    ("who", "status"),
    [("alliance_admin", 200), ("alliance_staff", 403), ("community_admin", 403), ("unit_admin", 403)],
)
async def test_who_may_set_assessment_items(client, world, who, status):
    tree, people, _ = world
    r = await client.put(
        f"/api/v1/orgs/{tree.alliance.id}/assessment-items", json=ITEMS, headers=auth(people[who])
    )
    assert r.status_code == status


async def test_items_must_weigh_100_and_name_known_sources(client, world):
    tree, people, _ = world
    url, h = f"/api/v1/orgs/{tree.alliance.id}/assessment-items", auth(people["alliance_admin"])
    light = {"items": [{"name": "只有一项", "weight": 50}]}
    assert problem_code(await client.put(url, json=light, headers=h), 422) == "validation_error"
    bad = {"items": [{"name": "一项", "weight": 100, "source": "happiness"}]}
    r = await client.put(url, json=bad, headers=h)
    assert (r.status_code, r.json()["code"]) == (422, "unknown_source")
    r = await client.put(f"/api/v1/orgs/{tree.community.id}/assessment-items", json=ITEMS, headers=h)
    assert (r.status_code, r.json()["code"]) == (422, "invalid_org_kind")
    await client.put(url, json=ITEMS, headers=h)
    got = (await client.get(url, headers=auth(people["community_admin"]))).json()
    assert [(i["name"], i["weight"], i["source_label"]) for i in got] == [
        ("项目认领", 40, "认领项目完成数"),
        ("活动开展", 30, "组织活动场次"),
        ("联席会议参与", 30, None),
    ]
    assert problem_code(await client.get(url, headers=auth(people["resident"])), 403) == "forbidden"


@pytest.mark.parametrize(
    ("who", "status"),
    [("community_admin", 200), ("community_staff", 403), ("other_admin", 403), ("unit_admin", 403)],
)
async def test_who_may_score_a_unit(client, world, who, status):
    tree, people, _ = world
    await client.put(
        f"/api/v1/orgs/{tree.alliance.id}/assessment-items",
        json=ITEMS,
        headers=auth(people["alliance_admin"]),
    )
    r = await client.put(
        f"/api/v1/units/{tree.unit.id}/assessments/{YEAR}", json=SCORES, headers=auth(people[who])
    )
    assert r.status_code == status


async def test_itemised_scores_total_by_weight_then_approval_freezes_them(client, world):
    tree, people, _ = world
    await client.put(
        f"/api/v1/orgs/{tree.alliance.id}/assessment-items",
        json=ITEMS,
        headers=auth(people["alliance_admin"]),
    )
    url = f"/api/v1/units/{tree.unit.id}/assessments/{YEAR}"
    r = await client.put(url, json=SCORES, headers=auth(people["community_admin"]))
    body = r.json()
    assert body["total"] == 90.0  # 90×0.4 + 80×0.3 + 100×0.3
    assert [(i["item"], i["auto"]) for i in body["items"]] == [
        ("项目认领", 0),
        ("活动开展", 0),
        ("联席会议参与", None),
    ]
    assert body["approved"] is False
    # Only the alliance admin approves.
    for who in ("community_admin", "unit_admin"):
        assert (
            problem_code(await client.post(f"{url}/approve", headers=auth(people[who])), 403) == "forbidden"
        )
    r = await client.post(f"{url}/approve", headers=auth(people["alliance_admin"]))
    assert r.status_code == 200
    assert [a["approved"] for a in r.json()] == [True]
    r = await client.put(url, json=SCORES, headers=auth(people["community_admin"]))
    assert (r.status_code, r.json()["code"]) == (409, "assessment_approved")
    legacy = {"community_id": tree.community.id, "score": 60, "reasons": "改分"}
    r = await client.put(url, json=legacy, headers=auth(people["community_admin"]))
    assert (r.status_code, r.json()["code"]) == (409, "assessment_approved")


async def test_scores_must_cover_the_items(client, world):
    tree, people, _ = world
    url, h = f"/api/v1/units/{tree.unit.id}/assessments/{YEAR}", auth(people["community_admin"])
    r = await client.put(url, json=SCORES, headers=h)
    assert (r.status_code, r.json()["code"]) == (409, "no_assessment_items")
    await client.put(
        f"/api/v1/orgs/{tree.alliance.id}/assessment-items",
        json=ITEMS,
        headers=auth(people["alliance_admin"]),
    )
    r = await client.put(url, json={"scores": SCORES["scores"][:2]}, headers=h)
    assert (r.status_code, r.json()["code"]) == (422, "scores_incomplete")
    r = await client.put(
        url, json={"scores": [*SCORES["scores"], {"item": "别的", "score": 1, "reason": "x"}]}, headers=h
    )
    assert (r.status_code, r.json()["code"]) == (422, "unknown_item")
    r = await client.post(
        f"/api/v1/units/{tree.unit.id}/assessments/{YEAR}/approve", headers=auth(people["alliance_admin"])
    )
    assert (r.status_code, r.json()["code"]) == (409, "nothing_to_approve")


async def test_the_yearly_ranking_and_its_workbook(client, session, world):
    tree, people, _ = world
    second = await orgs_service.add_org(session, name="县税务局", kind="unit", parent=tree.alliance)
    session.add(UnitCommunity(unit_id=second.id, community_id=tree.community.id))
    await session.commit()
    await client.put(
        f"/api/v1/orgs/{tree.alliance.id}/assessment-items",
        json=ITEMS,
        headers=auth(people["alliance_admin"]),
    )
    h = auth(people["community_admin"])
    await client.put(f"/api/v1/units/{tree.unit.id}/assessments/{YEAR}", json=SCORES, headers=h)
    low = {"scores": [{**s, "score": 50} for s in SCORES["scores"]]}
    await client.put(f"/api/v1/units/{second.id}/assessments/{YEAR}", json=low, headers=h)
    await client.post(
        f"/api/v1/units/{tree.unit.id}/assessments/{YEAR}/approve", headers=auth(people["alliance_admin"])
    )
    ranking = (
        await client.get(
            f"/api/v1/orgs/{tree.alliance.id}/assessments?year={YEAR}", headers=auth(people["alliance_staff"])
        )
    ).json()
    assert [(r["rank"], r["unit_name"], r["score"], r["approved"]) for r in ranking] == [
        (1, "县医院", 90.0, True),
        (2, "县税务局", 50.0, False),
    ]
    r = await client.get(
        f"/api/v1/orgs/{tree.alliance.id}/assessments.xlsx?year={YEAR}",
        headers=auth(people["alliance_admin"]),
    )
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows == [
        ("名次", "共建单位", "得分", "评分社区数", "审定"),
        (1, "县医院", 90, 1, "已审定"),
        (2, "县税务局", 50, 1, "待审定"),
    ]
    assert (
        problem_code(
            await client.get(
                f"/api/v1/orgs/{tree.alliance.id}/assessments", headers=auth(people["unit_admin"])
            ),
            403,
        )
        == "forbidden"
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [("unit_admin", 200), ("alliance_staff", 200), ("community_admin", 404), ("resident", 404)],
)
async def test_who_sees_a_units_progress(client, world, who, status):
    tree, people, agreement = world
    await client.post(
        f"/api/v1/units/{tree.unit.id}/agreements/{agreement}/commitments",
        json=_commitment(),
        headers=auth(people["community_admin"]),
    )
    r = await client.get(f"/api/v1/units/{tree.unit.id}/progress", headers=auth(people[who]))
    assert r.status_code == status
    if status == 200:
        body = r.json()
        assert [f["source"] for f in body["figures"]] == [
            "wishes_done",
            "activities_run",
            "member_hours",
            "resources_used",
            "action_items_done",
        ]
        assert [len(a["commitments"]) for a in body["agreements"]] == [1]


@pytest.mark.parametrize(
    ("who", "status"),
    [("community_admin", 200), ("community_staff", 403), ("unit_admin", 403), ("other_admin", 403)],
)
async def test_the_scoring_form_shows_each_item_with_its_automatic_figure(
    client, session, world, who, status
):
    tree, people, _ = world
    await client.put(
        f"/api/v1/orgs/{tree.alliance.id}/assessment-items",
        json=ITEMS,
        headers=auth(people["alliance_admin"]),
    )
    now = clock.now()
    session.add(
        Activity(
            org_id=tree.unit.id,
            title="义诊",
            kind="志愿服务",
            starts_at=now,
            ends_at=now + timedelta(hours=1),
            capacity=10,
        )
    )
    await session.commit()
    r = await client.get(f"/api/v1/units/{tree.unit.id}/assessments/{YEAR}/form", headers=auth(people[who]))
    assert r.status_code == status
    if status == 200:
        form = r.json()
        assert form["community_id"] == tree.community.id
        assert [(i["name"], i["auto"], i["score"]) for i in form["items"]] == [
            ("项目认领", 0, None),
            ("活动开展", 1, None),
            ("联席会议参与", None, None),
        ]
