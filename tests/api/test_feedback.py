"""Record cards, yearly feedback forms and their workbook, quarterly service cards, co-building records."""

import io
from datetime import date

from openpyxl import load_workbook

from app.services.member_reports import this_year, year_bounds
from tests.api.test_posts import approved_member, new_post
from tests.factories import auth, make_tree, make_user

YEAR = this_year()


async def test_record_card_holds_posts_and_logged_minutes(client, session):
    tree = await make_tree(session)
    member = await approved_member(client, session, tree)
    post = await new_post(client, session, tree)
    await client.post(f"/api/v1/posts/{post['id']}/claim", headers=auth(member))
    for minutes in (60, 45):
        await client.post(
            f"/api/v1/posts/{post['id']}/logs",
            json={"minutes": minutes, "note": "巡防"},
            headers=auth(member),
        )
    resp = await client.get(f"/api/v1/members/{member.id}/record?year={YEAR}", headers=auth(member))
    assert resp.status_code == 200, resp.text
    card = resp.json()
    assert card["year"] == YEAR
    assert [(p["title"], p["minutes"], len(p["logs"])) for p in card["posts"]] == [("文明劝导员", 105, 2)]
    assert card["post_minutes"] == 105
    # Self-logged post work is shown beside verified service, never inside it (the two totals).
    assert card["total_minutes"] == 0
    assert [r["status"] for r in card["reports"]] == ["approved"]
    assert card["user"]["phone"] == member.phone


async def test_record_card_of_another_year_has_no_posts(client, session):
    tree = await make_tree(session)
    member = await approved_member(client, session, tree)
    post = await new_post(client, session, tree)
    await client.post(f"/api/v1/posts/{post['id']}/claim", headers=auth(member))
    resp = await client.get(f"/api/v1/members/{member.id}/record?year={YEAR - 1}", headers=auth(member))
    assert resp.json()["posts"] == []


async def test_stranger_cannot_read_a_record_card_404(client, session):
    tree = await make_tree(session)
    member = await approved_member(client, session, tree)
    for stranger in (
        await make_user(session),
        await make_user(session, role=(tree.other_community, "admin")),
        await make_user(session, role=(tree.unit, "staff")),
    ):
        resp = await client.get(f"/api/v1/members/{member.id}/record?year={YEAR}", headers=auth(stranger))
        assert resp.status_code == 404
        assert resp.json()["code"] == "record_not_found"


async def test_branch_staff_and_employer_admin_read_the_card(client, session):
    tree = await make_tree(session)
    member = await approved_member(client, session, tree)
    staff = await make_user(session, role=(tree.compound, "staff"))
    unit_admin = await make_user(session, role=(tree.unit, "admin"))
    by_staff = await client.get(f"/api/v1/members/{member.id}/record?year={YEAR}", headers=auth(staff))
    assert by_staff.json()["user"]["phone"] == member.phone
    by_unit = await client.get(f"/api/v1/members/{member.id}/record?year={YEAR}", headers=auth(unit_admin))
    assert by_unit.status_code == 200
    assert by_unit.json()["user"]["phone"] == f"{member.phone[:3]}****{member.phone[-4:]}"


async def test_branch_staff_rates_member_and_member_sees_it(client, session):
    tree = await make_tree(session)
    member = await approved_member(client, session, tree)
    staff = await make_user(session, role=(tree.compound, "staff"))
    resp = await client.put(
        f"/api/v1/members/{member.id}/feedback/{YEAR}",
        json={"rating": "excellent", "comment": "积极参加巡防"},
        headers=auth(staff),
    )
    assert resp.status_code == 200, resp.text
    assert (resp.json()["rating"], resp.json()["rating_label"]) == ("excellent", "优秀")
    again = await client.put(
        f"/api/v1/members/{member.id}/feedback/{YEAR}",
        json={"rating": "qualified", "comment": "改评"},
        headers=auth(staff),
    )
    assert again.json()["id"] == resp.json()["id"]
    mine = (await client.get(f"/api/v1/members/{member.id}/feedback", headers=auth(member))).json()
    assert [(f["period"], f["rating"], f["comment"]) for f in mine] == [(str(YEAR), "qualified", "改评")]


async def test_invalid_rating_is_422(client, session):
    tree = await make_tree(session)
    member = await approved_member(client, session, tree)
    staff = await make_user(session, role=(tree.compound, "staff"))
    resp = await client.put(
        f"/api/v1/members/{member.id}/feedback/{YEAR}",
        json={"rating": "great", "comment": ""},
        headers=auth(staff),
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "validation_error"
    assert [e["field"] for e in resp.json()["errors"]] == ["rating"]


async def test_stranger_cannot_rate_a_member(client, session):
    tree = await make_tree(session)
    member = await approved_member(client, session, tree)
    other_staff = await make_user(session, role=(tree.other_community, "staff"))
    resp = await client.put(
        f"/api/v1/members/{member.id}/feedback/{YEAR}",
        json={"rating": "excellent"},
        headers=auth(other_staff),
    )
    assert resp.status_code == 404
    assert resp.json()["code"] == "report_not_found"
    unit_admin = await make_user(session, role=(tree.unit, "admin"))
    resp = await client.put(
        f"/api/v1/members/{member.id}/feedback/{YEAR}", json={"rating": "excellent"}, headers=auth(unit_admin)
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"
    resp = await client.put(
        f"/api/v1/members/{member.id}/feedback/{YEAR}", json={"rating": "excellent"}, headers=auth(member)
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"


async def test_pending_member_cannot_be_rated_409(client, session):
    tree = await make_tree(session)
    member = await make_user(session, party="in_service")
    await client.post(
        "/api/v1/member-reports",
        json={"employer_unit_id": tree.unit.id, "org_id": tree.compound.id},
        headers=auth(member),
    )
    staff = await make_user(session, role=(tree.compound, "staff"))
    resp = await client.put(
        f"/api/v1/members/{member.id}/feedback/{YEAR}", json={"rating": "basic"}, headers=auth(staff)
    )
    assert resp.status_code == 409
    assert resp.json()["code"] == "report_not_approved"


async def _rated_unit_members(client, session, tree):
    """Two members of tree.unit rated this year, one of another unit, one of tree.unit rated last year."""
    from app.services import orgs as orgs_service

    other_unit = await orgs_service.add_org(session, name="实验小学", kind="unit", parent=tree.alliance)
    await session.commit()
    staff = await make_user(session, role=(tree.community, "staff"))
    a = await approved_member(client, session, tree, name="甲")
    b = await approved_member(client, session, tree, name="乙")
    c = await make_user(session, name="丙", party="in_service")
    rid = (
        await client.post(
            "/api/v1/member-reports",
            json={"employer_unit_id": other_unit.id, "org_id": tree.compound.id},
            headers=auth(c),
        )
    ).json()["id"]
    await client.post(f"/api/v1/member-reports/{rid}/review", json={"approve": True}, headers=auth(staff))
    for who, rating in ((a, "excellent"), (b, "basic"), (c, "qualified")):
        resp = await client.put(
            f"/api/v1/members/{who.id}/feedback/{YEAR}",
            json={"rating": rating, "comment": "好"},
            headers=auth(staff),
        )
        assert resp.status_code == 200, resp.text
    return a, b, c, other_unit


async def test_unit_admin_sees_only_its_members_forms(client, session):
    tree = await make_tree(session)
    a, b, c, other_unit = await _rated_unit_members(client, session, tree)
    unit_admin = await make_user(session, role=(tree.unit, "admin"))
    resp = await client.get(f"/api/v1/units/{tree.unit.id}/feedback?year={YEAR}", headers=auth(unit_admin))
    assert resp.status_code == 200, resp.text
    assert [(f["user"]["name"], f["rating"]) for f in resp.json()["items"]] == [
        ("甲", "excellent"),
        ("乙", "basic"),
    ]
    assert resp.json()["items"][0]["user"]["phone"] == f"{a.phone[:3]}****{a.phone[-4:]}"
    denied = await client.get(f"/api/v1/units/{other_unit.id}/feedback?year={YEAR}", headers=auth(unit_admin))
    assert denied.status_code == 403
    assert denied.json()["code"] == "forbidden"
    last_year = await client.get(
        f"/api/v1/units/{tree.unit.id}/feedback?year={YEAR - 1}", headers=auth(unit_admin)
    )
    assert last_year.json()["items"] == []


async def test_unit_admin_cannot_read_another_units_member_forms_404(client, session):
    tree = await make_tree(session)
    a, b, c, other_unit = await _rated_unit_members(client, session, tree)
    unit_admin = await make_user(session, role=(tree.unit, "admin"))
    resp = await client.get(f"/api/v1/members/{c.id}/feedback", headers=auth(unit_admin))
    assert resp.status_code == 404
    assert resp.json()["code"] == "feedback_not_found"


async def test_feedback_workbook_holds_exactly_the_units_rows(client, session):
    tree = await make_tree(session)
    await _rated_unit_members(client, session, tree)
    unit_admin = await make_user(session, role=(tree.unit, "admin"))
    resp = await client.get(
        f"/api/v1/units/{tree.unit.id}/feedback.xlsx?year={YEAR}", headers=auth(unit_admin)
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ws = load_workbook(io.BytesIO(resp.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:7] == ("姓名", "手机号", "党员类别", "报到社区", "年度", "评定等级", "社区评语")
    assert [(r[0], r[2], r[3], r[4], r[5], r[6]) for r in rows[1:]] == [
        ("甲", "在职党员", "幸福里小区", YEAR, "优秀", "好"),
        ("乙", "在职党员", "幸福里小区", YEAR, "基本合格", "好"),
    ]
    # Time-bank service and self-logged post work in two columns, never added together.
    assert rows[0][11:13] == ("服务时长", "岗位履职时长（自报）")
    assert {r[11] for r in rows[1:]} == {"0分"}


async def test_workbook_needs_the_unit_admin(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.unit, "staff"))
    resp = await client.get(f"/api/v1/units/{tree.unit.id}/feedback.xlsx?year={YEAR}", headers=auth(staff))
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"


async def test_quarterly_service_card_only_when_the_alliance_enables_it(client, session):
    tree = await make_tree(session)
    member = await approved_member(client, session, tree)
    staff = await make_user(session, role=(tree.compound, "staff"))
    url = f"/api/v1/members/{member.id}/service-cards/{YEAR}/2"
    off = await client.put(url, json={"rating": "qualified", "comment": "按时到岗"}, headers=auth(staff))
    assert off.status_code == 409
    assert off.json()["code"] == "service_cards_disabled"
    admin = await make_user(session, role=(tree.alliance, "admin"))
    await client.put(
        f"/api/v1/orgs/{tree.alliance.id}/member-settings",
        json={"quarterly_service_cards": True},
        headers=auth(admin),
    )
    on = await client.put(url, json={"rating": "qualified", "comment": "按时到岗"}, headers=auth(staff))
    assert on.status_code == 200, on.text
    assert (on.json()["period"], on.json()["kind"]) == (f"{YEAR}-Q2", "quarterly")


async def test_cobuilding_agreement_and_assessment(client, session):
    tree = await make_tree(session)
    alliance_admin = await make_user(session, role=(tree.alliance, "admin"))
    await client.post(
        f"/api/v1/orgs/{tree.unit.id}/communities",
        json={"community_id": tree.community.id},
        headers=auth(alliance_admin),
    )
    community_admin = await make_user(session, role=(tree.community, "admin"))
    resp = await client.post(
        f"/api/v1/units/{tree.unit.id}/agreements",
        json={
            "community_id": tree.community.id,
            "signed_on": "2026-03-01",
            "term_months": 12,
            "commitments": ["每季度义诊一次", "结对帮扶困难户 5 户"],
        },
        headers=auth(community_admin),
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["ends_on"] == "2027-02-28"
    score = await client.put(
        f"/api/v1/units/{tree.unit.id}/assessments/2026",
        json={"community_id": tree.community.id, "score": 92, "reasons": "义诊按时开展"},
        headers=auth(community_admin),
    )
    assert score.status_code == 200, score.text
    unit_admin = await make_user(session, role=(tree.unit, "admin"))
    seen = (await client.get(f"/api/v1/units/{tree.unit.id}/assessments", headers=auth(unit_admin))).json()
    assert [(s["community_name"], s["year"], s["score"]) for s in seen] == [("幸福社区", 2026, 92)]
    agreements = (
        await client.get(f"/api/v1/units/{tree.unit.id}/agreements", headers=auth(unit_admin))
    ).json()
    assert [a["commitments"] for a in agreements] == [["每季度义诊一次", "结对帮扶困难户 5 户"]]
    other = await make_user(session, role=(tree.other_community, "staff"))
    assert (await client.get(f"/api/v1/units/{tree.unit.id}/assessments", headers=auth(other))).json() == []


async def test_unassigned_unit_cannot_be_scored_409(client, session):
    tree = await make_tree(session)
    community_admin = await make_user(session, role=(tree.community, "admin"))
    resp = await client.put(
        f"/api/v1/units/{tree.unit.id}/assessments/2026",
        json={"community_id": tree.community.id, "score": 80, "reasons": "x"},
        headers=auth(community_admin),
    )
    assert resp.status_code == 409
    assert resp.json()["code"] == "unit_not_assigned"
    other_admin = await make_user(session, role=(tree.other_community, "admin"))
    resp = await client.post(
        f"/api/v1/units/{tree.unit.id}/agreements",
        json={"community_id": tree.community.id, "signed_on": str(date(2026, 1, 1)), "term_months": 12},
        headers=auth(other_admin),
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"


async def test_record_card_reads_activities_wishes_shifts_and_the_ledger(client, session):
    from datetime import timedelta

    from app import clock
    from app.models.activities import Activity, Attendance
    from app.models.stations import DutyShift, ShiftSignup, Station
    from app.models.wishes import Wish
    from app.services import ledger

    tree = await make_tree(session)
    member = await approved_member(client, session, tree)
    poster = await make_user(session, home=tree.compound)
    now = clock.now()
    start = max(now - timedelta(hours=3), year_bounds(YEAR)[0])
    done = start + timedelta(hours=2)
    activity = Activity(
        org_id=tree.compound.id,
        title="清扫楼道",
        kind="志愿服务",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=30,
    )
    lesson = Activity(
        org_id=tree.compound.id,
        title="党课",
        kind="党课",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=30,
    )
    station = Station(org_id=tree.compound.id, name="幸福里红色驿站", lat=34.1, lng=119.2)
    session.add_all([activity, lesson, station])
    await session.flush()
    shift = DutyShift(station_id=station.id, starts_at=start, ends_at=start + timedelta(hours=2), capacity=2)
    session.add(shift)
    await session.flush()
    wish = Wish(
        org_id=tree.compound.id,
        poster_id=poster.id,
        title="修水龙头",
        category="生活服务",
        status="verified",
        claimer_id=member.id,
        done_at=start,
        verified_at=done,
        minutes_spent=50,
        credit_minutes=60,
    )
    session.add_all(
        [
            Attendance(
                activity_id=activity.id,
                user_id=member.id,
                method="code",
                credited_minutes=120,
                signed_in_at=start,
                credited_at=done,
            ),
            Attendance(
                activity_id=lesson.id,
                user_id=member.id,
                method="code",
                credited_minutes=0,
                signed_in_at=start,
                credited_at=done,
            ),
            ShiftSignup(
                shift_id=shift.id,
                user_id=member.id,
                started_at=start,
                ended_at=done,
                served_minutes=120,
                credited=True,
                credited_at=done,
            ),
            wish,
            Wish(
                org_id=tree.compound.id,
                poster_id=poster.id,
                title="陪老人聊天",
                category="助老",
                status="claimed",
                claimer_id=member.id,
            ),
        ]
    )
    await session.flush()
    for ref_type, ref_id, minutes in (
        ("activity", activity.id, 120),
        ("shift", shift.id, 120),
        ("wish", wish.id, 60),
    ):
        await ledger.credit_service(
            session,
            org_id=tree.compound.id,
            user_id=member.id,
            minutes=minutes,
            ref_type=ref_type,
            ref_id=ref_id,
            memo=ref_type,
            actor_id=None,
        )
    await session.commit()
    card = (await client.get(f"/api/v1/members/{member.id}/record?year={YEAR}", headers=auth(member))).json()
    assert [(i["title"], i["minutes"]) for i in card["activities"]["items"]] == [
        ("清扫楼道", 120),
        ("党课", 0),
    ]
    assert [(i["title"], i["minutes"]) for i in card["wishes"]["items"]] == [("修水龙头", 60)]
    assert [(i["title"], i["minutes"]) for i in card["shifts"]["items"]] == [("幸福里红色驿站值班", 120)]
    # One person, one total: the card, the ledger and /timebank's year agree.
    assert card["total_minutes"] == card["ledger_minutes"] == 300
    years = (await client.get("/api/v1/timebank/me/years", headers=auth(member))).json()
    assert {y["year"]: y["earned_minutes"] for y in years}[YEAR] == 300


async def test_member_figures_count_people_and_ratings_in_the_subtree(client, session):
    from app.services import member_reports

    tree = await make_tree(session)
    await _rated_unit_members(client, session, tree)
    pending = await make_user(session, party="retired")
    await client.post(
        "/api/v1/member-reports",
        json={"employer_unit_id": tree.unit.id, "org_id": tree.grid.id},
        headers=auth(pending),
    )
    figures = await member_reports.member_figures(session, org_id=tree.community.id)
    assert figures == {
        "reported": 4,
        "approved": 3,
        "pending": 1,
        "rated": 3,
        "ratings": {"excellent": 1, "qualified": 1, "basic": 1, "unqualified": 0},
    }
    other = await member_reports.member_figures(session, org_id=tree.other_community.id)
    assert (other["reported"], other["rated"]) == (0, 0)


async def test_agreement_signed_at_the_end_of_the_calendar_is_422_not_500(client, session):
    tree = await make_tree(session)
    community_admin = await make_user(session, role=(tree.community, "admin"))
    resp = await client.post(
        f"/api/v1/units/{tree.unit.id}/agreements",
        json={"community_id": tree.community.id, "signed_on": "9999-12-01", "term_months": 120},
        headers=auth(community_admin),
    )
    assert resp.status_code == 422
    assert resp.json()["errors"] == [
        {"field": "signed_on", "code": "date_out_of_range", "message": "日期超出可用范围（1900—2100年）"}
    ]


async def test_timebank_page_shows_post_work_beside_not_inside_the_bank(client, session):
    tree = await make_tree(session)
    member = await approved_member(client, session, tree)
    post = await new_post(client, session, tree)
    await client.post(f"/api/v1/posts/{post['id']}/claim", headers=auth(member))
    await client.post(
        f"/api/v1/posts/{post['id']}/logs", json={"minutes": 45, "note": "巡防"}, headers=auth(member)
    )
    page = (await client.get("/timebank", headers=auth(member))).text
    assert f"{YEAR}年岗位履职 45分（党员自报，记入活动记录卡，不计入时间银行）" in page
    assert (await client.get("/api/v1/timebank/me", headers=auth(member))).json()["earned_minutes"] == 0
