"""Party members reporting to their branch: who may report, one active report a year, review, moving."""

from sqlmodel import select

from app.models.audit import AuditLog
from tests.factories import auth, make_tree, make_user, problem_code

URL = "/api/v1/member-reports"


def body(tree, org=None, **kw):
    return {
        "employer_unit_id": tree.unit.id,
        "org_id": (org or tree.compound).id,
        "skills": ["调解", "书法"],
        **kw,
    }


async def test_party_member_reports_and_is_pending(client, session):
    tree = await make_tree(session)
    member = await make_user(session, name="冯医生", home=tree.compound, party="in_service")
    resp = await client.post(URL, json=body(tree, note="周末有空"), headers=auth(member))
    assert resp.status_code == 201, resp.text
    data = resp.json()
    assert data["status"] == "pending"
    assert data["org_id"] == tree.compound.id
    assert data["employer_unit_name"] == "县医院"
    assert data["skills"] == ["调解", "书法"]
    assert data["user"]["phone"] == member.phone
    assert [e["action"] for e in data["events"]] == ["report"]


async def test_retired_and_mobile_members_may_report(client, session):
    tree = await make_tree(session)
    for kind in ("retired", "mobile"):
        member = await make_user(session, party=kind)
        resp = await client.post(URL, json=body(tree), headers=auth(member))
        assert resp.status_code == 201, resp.text


async def test_non_party_member_gets_403(client, session):
    tree = await make_tree(session)
    resident = await make_user(session, home=tree.compound)
    resp = await client.post(URL, json=body(tree), headers=auth(resident))
    assert resp.status_code == 403
    assert resp.json()["code"] == "not_a_party_member"


async def test_second_active_report_in_a_year_gets_409(client, session):
    tree = await make_tree(session)
    member = await make_user(session, party="in_service")
    assert (await client.post(URL, json=body(tree), headers=auth(member))).status_code == 201
    again = await client.post(URL, json=body(tree, tree.other_compound), headers=auth(member))
    assert again.status_code == 409
    assert again.json()["code"] == "already_reported"


async def test_rejected_report_frees_the_year(client, session):
    tree = await make_tree(session)
    member = await make_user(session, party="in_service")
    staff = await make_user(session, role=(tree.community, "staff"))
    rid = (await client.post(URL, json=body(tree), headers=auth(member))).json()["id"]
    resp = await client.post(
        f"{URL}/{rid}/review", json={"approve": False, "reason": "不在本小区居住"}, headers=auth(staff)
    )
    assert resp.json()["status"] == "rejected"
    assert resp.json()["reject_reason"] == "不在本小区居住"
    assert (
        await client.post(URL, json=body(tree, tree.other_compound), headers=auth(member))
    ).status_code == 201


async def test_employer_must_be_a_unit_and_branch_a_place(client, session):
    tree = await make_tree(session)
    member = await make_user(session, party="in_service")
    bad_unit = await client.post(
        URL, json={**body(tree), "employer_unit_id": tree.community.id}, headers=auth(member)
    )
    assert bad_unit.status_code == 422
    assert bad_unit.json()["code"] == "invalid_employer_unit"
    bad_branch = await client.post(URL, json={**body(tree), "org_id": tree.unit.id}, headers=auth(member))
    assert bad_branch.status_code == 422
    assert bad_branch.json()["code"] == "invalid_branch"


async def test_staff_over_branch_approves_and_it_is_audited(client, session):
    tree = await make_tree(session)
    member = await make_user(session, party="in_service")
    staff = await make_user(session, role=(tree.community, "staff"))
    rid = (await client.post(URL, json=body(tree), headers=auth(member))).json()["id"]
    resp = await client.post(f"{URL}/{rid}/review", json={"approve": True}, headers=auth(staff))
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "approved"
    assert [e["action"] for e in resp.json()["events"]] == ["report", "approve"]
    logs = (await session.exec(select(AuditLog).where(AuditLog.action == "member_report.approve"))).all()
    assert [(g.actor_id, g.object_id) for g in logs] == [(staff.id, rid)]


async def test_reject_without_reason_is_422(client, session):
    tree = await make_tree(session)
    member = await make_user(session, party="in_service")
    staff = await make_user(session, role=(tree.compound, "admin"))
    rid = (await client.post(URL, json=body(tree), headers=auth(member))).json()["id"]
    resp = await client.post(
        f"{URL}/{rid}/review", json={"approve": False, "reason": "  "}, headers=auth(staff)
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "reason_required"


async def test_review_twice_is_409_invalid_state(client, session):
    tree = await make_tree(session)
    member = await make_user(session, party="in_service")
    staff = await make_user(session, role=(tree.compound, "staff"))
    rid = (await client.post(URL, json=body(tree), headers=auth(member))).json()["id"]
    assert (
        await client.post(f"{URL}/{rid}/review", json={"approve": True}, headers=auth(staff))
    ).status_code == 200
    again = await client.post(
        f"{URL}/{rid}/review", json={"approve": False, "reason": "x"}, headers=auth(staff)
    )
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_state"


async def test_staff_of_another_community_cannot_see_or_review(client, session):
    tree = await make_tree(session)
    member = await make_user(session, party="in_service")
    other = await make_user(session, role=(tree.other_community, "admin"))
    rid = (await client.post(URL, json=body(tree), headers=auth(member))).json()["id"]
    assert (
        problem_code(
            await client.post(f"{URL}/{rid}/review", json={"approve": True}, headers=auth(other)), 404
        )
        == "report_not_found"
    )
    assert problem_code(await client.get(f"{URL}/{rid}", headers=auth(other)), 404) == "report_not_found"


async def test_member_cannot_approve_own_report_403(client, session):
    tree = await make_tree(session)
    member = await make_user(session, party="in_service")
    rid = (await client.post(URL, json=body(tree), headers=auth(member))).json()["id"]
    resp = await client.post(f"{URL}/{rid}/review", json={"approve": True}, headers=auth(member))
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"


async def test_unit_admin_sees_report_with_masked_phone(client, session):
    tree = await make_tree(session)
    member = await make_user(session, party="in_service")
    unit_admin = await make_user(session, role=(tree.unit, "admin"))
    rid = (await client.post(URL, json=body(tree), headers=auth(member))).json()["id"]
    resp = await client.get(f"{URL}/{rid}", headers=auth(unit_admin))
    assert resp.status_code == 200
    assert resp.json()["user"]["phone"] == f"{member.phone[:3]}****{member.phone[-4:]}"


async def test_staff_list_is_scoped_to_their_subtree(client, session):
    tree = await make_tree(session)
    a = await make_user(session, party="in_service")
    b = await make_user(session, party="in_service")
    await client.post(URL, json=body(tree, tree.grid), headers=auth(a))
    await client.post(URL, json=body(tree, tree.other_compound), headers=auth(b))
    staff = await make_user(session, role=(tree.community, "staff"))
    resp = await client.get(f"{URL}?status=pending", headers=auth(staff))
    assert [r["user"]["id"] for r in resp.json()["items"]] == [a.id]
    mine = await client.get(f"{URL}?mine=true", headers=auth(b))
    assert [r["org_id"] for r in mine.json()["items"]] == [tree.other_compound.id]


async def test_moving_branch_keeps_history(client, session):
    tree = await make_tree(session)
    member = await make_user(session, party="in_service")
    staff = await make_user(session, role=(tree.community, "staff"))
    rid = (await client.post(URL, json=body(tree), headers=auth(member))).json()["id"]
    await client.post(f"{URL}/{rid}/review", json={"approve": True}, headers=auth(staff))
    resp = await client.post(
        f"{URL}/{rid}/move", json={"org_id": tree.other_compound.id, "note": "搬家"}, headers=auth(member)
    )
    assert resp.status_code == 201, resp.text
    new = resp.json()
    assert (new["status"], new["org_id"], new["previous_id"]) == ("pending", tree.other_compound.id, rid)
    old = (await client.get(f"{URL}/{rid}", headers=auth(member))).json()
    assert old["status"] == "moved"
    assert [e["action"] for e in old["events"]] == ["report", "approve", "move"]
    mine = (await client.get(f"{URL}?mine=true", headers=auth(member))).json()["items"]
    assert [(r["id"], r["status"]) for r in mine] == [(new["id"], "pending"), (rid, "moved")]


async def test_someone_else_cannot_move_my_report_404(client, session):
    tree = await make_tree(session)
    member = await make_user(session, party="in_service")
    other = await make_user(session, party="in_service")
    rid = (await client.post(URL, json=body(tree), headers=auth(member))).json()["id"]
    resp = await client.post(
        f"{URL}/{rid}/move", json={"org_id": tree.other_compound.id}, headers=auth(other)
    )
    assert resp.status_code == 404
    assert resp.json()["code"] == "report_not_found"


async def test_half_yearly_setting_makes_the_period_a_half(client, session):
    tree = await make_tree(session)
    admin = await make_user(session, role=(tree.alliance, "admin"))
    member = await make_user(session, party="in_service")
    resp = await client.put(
        f"/api/v1/orgs/{tree.alliance.id}/member-settings",
        json={"half_yearly_re_report": True, "quarterly_service_cards": False},
        headers=auth(admin),
    )
    assert resp.status_code == 200, resp.text
    data = (await client.post(URL, json=body(tree), headers=auth(member))).json()
    assert data["period"] in (f"{data['year']}-H1", f"{data['year']}-H2")


async def test_settings_need_the_alliance_admin(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "admin"))
    resp = await client.put(
        f"/api/v1/orgs/{tree.alliance.id}/member-settings",
        json={"half_yearly_re_report": True},
        headers=auth(staff),
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"
