"""The /wishes contract: states, codes, visibility and privacy, as API.md says."""

from datetime import timedelta

from sqlmodel import select

from app import clock
from app.models.notifications import Notification
from app.models.wishes import Wish
from tests.factories import auth, make_tree, make_user, photo, problem_code

API = "/api/v1/wishes"
PNG = photo("PNG")


async def _people(session):
    tree = await make_tree(session)
    poster = await make_user(session, name="张阿姨", phone="13800001111", home=tree.compound)
    staff = await make_user(session, name="赵网格员", role=(tree.compound, "staff"))
    volunteer = await make_user(session, name="蒋志愿者", phone="13800002222", home=tree.compound)
    other = await make_user(session, name="钱大爷", home=tree.compound)
    return tree, poster, staff, volunteer, other


async def _post(client, poster, **extra):
    body = {"title": "帮忙修水龙头", "description": "厨房水龙头一直滴水", "category": "生活服务", **extra}
    resp = await client.post(API, json=body, headers=auth(poster))
    assert resp.status_code == 201, resp.text
    return resp.json()


async def _published(client, poster, staff, **extra):
    wish = await _post(client, poster, **extra)
    resp = await client.post(f"{API}/{wish['id']}/review", json={"approve": True}, headers=auth(staff))
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_post_defaults_to_home_compound_and_is_submitted(client, session):
    tree, poster, *_ = await _people(session)
    wish = await _post(client, poster)
    assert wish["status"] == "submitted"
    assert wish["org_id"] == tree.compound.id
    assert wish["poster"]["phone"] == "13800001111"
    assert [e["action"] for e in wish["events"]] == ["submit"]
    assert wish["events"][0]["actor_id"] == poster.id


async def test_post_without_home_or_org_is_422_org_required(client, session):
    await make_tree(session)
    homeless = await make_user(session)
    resp = await client.post(API, json={"title": "需要帮助", "category": "其他"}, headers=auth(homeless))
    assert resp.status_code == 422
    assert resp.json()["code"] == "org_required"


async def test_unknown_category_is_422(client, session):
    _, poster, *_ = await _people(session)
    resp = await client.post(API, json={"title": "需要帮助", "category": "火星"}, headers=auth(poster))
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid_category"


async def test_sensitive_words_are_rejected_in_chinese(client, session):
    _, poster, *_ = await _people(session)
    resp = await client.post(API, json={"title": "介绍 赌 博 门路", "category": "其他"}, headers=auth(poster))
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "content_rejected"
    assert "赌博" in body["detail"]


async def test_title_over_limit_is_validation_error(client, session):
    _, poster, *_ = await _people(session)
    resp = await client.post(API, json={"title": "长" * 41, "category": "其他"}, headers=auth(poster))
    assert resp.status_code == 422
    assert resp.json()["code"] == "validation_error"
    assert resp.json()["errors"][0]["field"] == "title"


async def test_unreviewed_wish_is_404_for_another_resident(client, session):
    _, poster, staff, _, other = await _people(session)
    wish = await _post(client, poster)
    assert problem_code(await client.get(f"{API}/{wish['id']}", headers=auth(other)), 404) == "wish_not_found"
    assert (await client.get(f"{API}/{wish['id']}", headers=auth(staff))).status_code == 200
    assert (await client.get(f"{API}/{wish['id']}", headers=auth(poster))).status_code == 200


async def test_another_resident_cannot_cancel_unreviewed_wish_404(client, session):
    _, poster, _, _, other = await _people(session)
    wish = await _post(client, poster)
    resp = await client.post(f"{API}/{wish['id']}/cancel", headers=auth(other))
    assert resp.status_code == 404
    assert resp.json()["code"] == "wish_not_found"


async def test_another_resident_cannot_cancel_published_wish_403(client, session):
    _, poster, staff, _, other = await _people(session)
    wish = await _published(client, poster, staff)
    resp = await client.post(f"{API}/{wish['id']}/cancel", headers=auth(other))
    assert resp.status_code == 403
    assert resp.json()["code"] == "not_wish_poster"


async def test_list_shows_published_to_all_and_own_unreviewed_to_poster(client, session):
    _, poster, staff, _, other = await _people(session)
    published = await _published(client, poster, staff)
    pending = await _post(client, poster, title="买菜")
    ids = lambda r: [w["id"] for w in r.json()["items"]]  # noqa: E731
    assert ids(await client.get(API, headers=auth(other))) == [published["id"]]
    assert ids(await client.get(API, headers=auth(poster))) == [pending["id"], published["id"]]
    assert ids(await client.get(API, headers=auth(staff))) == [pending["id"], published["id"]]
    assert ids(await client.get(f"{API}?status=submitted", headers=auth(staff))) == [pending["id"]]
    assert ids(await client.get(f"{API}?mine=true", headers=auth(other))) == []


async def test_list_filters_by_org_subtree_and_category(client, session):
    tree, poster, staff, _, other = await _people(session)
    a = await _published(client, poster, staff)
    far_staff = await make_user(session, role=(tree.other_compound, "staff"))
    b = await _published(client, poster, far_staff, org_id=tree.other_compound.id, category="助老")
    ids = lambda r: [w["id"] for w in r.json()["items"]]  # noqa: E731
    assert ids(await client.get(f"{API}?org_id={tree.community.id}", headers=auth(other))) == [a["id"]]
    assert ids(await client.get(f"{API}?category=助老", headers=auth(other))) == [b["id"]]


async def test_staff_of_another_community_cannot_review_403_or_see_404(client, session):
    tree, poster, *_ = await _people(session)
    far_staff = await make_user(session, role=(tree.other_community, "staff"))
    wish = await _post(client, poster)
    resp = await client.post(f"{API}/{wish['id']}/review", json={"approve": True}, headers=auth(far_staff))
    assert resp.status_code == 404
    assert resp.json()["code"] == "wish_not_found"


async def test_reject_needs_a_reason(client, session):
    _, poster, staff, *_ = await _people(session)
    wish = await _post(client, poster)
    resp = await client.post(f"{API}/{wish['id']}/review", json={"approve": False}, headers=auth(staff))
    assert resp.status_code == 422
    assert resp.json()["code"] == "reason_required"
    resp = await client.post(
        f"{API}/{wish['id']}/review", json={"approve": False, "reason": "信息不全"}, headers=auth(staff)
    )
    assert resp.status_code == 200
    assert resp.json()["status"] == "rejected"
    assert resp.json()["reject_reason"] == "信息不全"


async def test_full_journey_records_every_step(client, session):
    _, poster, staff, volunteer, _ = await _people(session)
    wish = await _published(client, poster, staff)
    wid = wish["id"]
    resp = await client.post(
        f"{API}/{wid}/claim", json={"promise_date": clock.today().isoformat()}, headers=auth(volunteer)
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "claimed"
    assert resp.json()["claimer"]["id"] == volunteer.id
    resp = await client.post(
        f"{API}/{wid}/done", json={"note": "换了新阀芯", "minutes_spent": 45}, headers=auth(volunteer)
    )
    assert resp.json()["status"] == "done"
    resp = await client.post(
        f"{API}/{wid}/confirm", json={"rating": 5, "comment": "很及时"}, headers=auth(poster)
    )
    assert resp.json()["status"] == "confirmed"
    assert resp.json()["rating"] == 5
    body = (await client.get(f"{API}/{wid}", headers=auth(poster))).json()
    assert [e["action"] for e in body["events"]] == ["submit", "publish", "claim", "done", "confirm"]
    assert [e["actor_id"] for e in body["events"]] == [
        poster.id,
        staff.id,
        volunteer.id,
        volunteer.id,
        poster.id,
    ]


async def test_own_wish_cannot_be_claimed_409(client, session):
    _, poster, staff, *_ = await _people(session)
    wish = await _published(client, poster, staff)
    resp = await client.post(f"{API}/{wish['id']}/claim", headers=auth(poster))
    assert resp.status_code == 409
    assert resp.json()["code"] == "cannot_claim_own_wish"


async def test_second_claim_gets_409_already_claimed(client, session):
    _, poster, staff, volunteer, other = await _people(session)
    wish = await _published(client, poster, staff)
    assert (await client.post(f"{API}/{wish['id']}/claim", headers=auth(volunteer))).status_code == 200
    resp = await client.post(f"{API}/{wish['id']}/claim", headers=auth(other))
    assert resp.status_code == 409
    assert resp.json()["code"] == "wish_already_claimed"


async def test_claiming_unpublished_wish_is_invalid_state(client, session):
    _, poster, staff, *_ = await _people(session)
    wish = await _post(client, poster)
    resp = await client.post(f"{API}/{wish['id']}/claim", headers=auth(staff))
    assert resp.status_code == 409
    assert resp.json()["code"] == "invalid_state"


async def test_claim_without_promise_date_promises_a_week(client, session):
    _, poster, staff, volunteer, _ = await _people(session)
    wish = await _published(client, poster, staff)
    resp = await client.post(f"{API}/{wish['id']}/claim", headers=auth(volunteer))
    from app import clock

    assert resp.json()["promise_date"] == (clock.today() + timedelta(days=7)).isoformat()


async def test_only_claimer_may_release_or_mark_done_403(client, session):
    _, poster, staff, volunteer, other = await _people(session)
    wish = await _published(client, poster, staff)
    await client.post(f"{API}/{wish['id']}/claim", headers=auth(volunteer))
    resp = await client.post(f"{API}/{wish['id']}/release", headers=auth(other))
    assert resp.status_code == 403
    assert resp.json()["code"] == "not_wish_claimer"
    resp = await client.post(
        f"{API}/{wish['id']}/done", json={"note": "好了", "minutes_spent": 10}, headers=auth(other)
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "not_wish_claimer"


async def test_release_returns_wish_to_wall(client, session):
    _, poster, staff, volunteer, other = await _people(session)
    wish = await _published(client, poster, staff)
    await client.post(f"{API}/{wish['id']}/claim", headers=auth(volunteer))
    resp = await client.post(f"{API}/{wish['id']}/release", headers=auth(volunteer))
    assert resp.status_code == 200
    assert resp.json()["status"] == "published"
    assert resp.json()["claimer"] is None
    assert (await client.post(f"{API}/{wish['id']}/claim", headers=auth(other))).status_code == 200


async def test_another_resident_cannot_confirm_403(client, session):
    _, poster, staff, volunteer, other = await _people(session)
    wish = await _published(client, poster, staff)
    await client.post(f"{API}/{wish['id']}/claim", headers=auth(volunteer))
    await client.post(
        f"{API}/{wish['id']}/done", json={"note": "好了", "minutes_spent": 10}, headers=auth(volunteer)
    )
    resp = await client.post(f"{API}/{wish['id']}/confirm", json={"rating": 5}, headers=auth(other))
    assert resp.status_code == 403
    assert resp.json()["code"] == "not_wish_poster"


async def test_rating_out_of_range_is_422(client, session):
    _, poster, staff, volunteer, _ = await _people(session)
    wish = await _published(client, poster, staff)
    resp = await client.post(f"{API}/{wish['id']}/confirm", json={"rating": 6}, headers=auth(poster))
    assert resp.status_code == 422
    assert resp.json()["code"] == "validation_error"
    assert resp.json()["errors"][0]["field"] == "rating"


async def test_poster_cancels_before_claim_but_not_after(client, session):
    _, poster, staff, volunteer, _ = await _people(session)
    first = await _published(client, poster, staff)
    resp = await client.post(f"{API}/{first['id']}/cancel", headers=auth(poster))
    assert resp.json()["status"] == "cancelled"
    second = await _published(client, poster, staff)
    await client.post(f"{API}/{second['id']}/claim", headers=auth(volunteer))
    resp = await client.post(f"{API}/{second['id']}/cancel", headers=auth(poster))
    assert resp.status_code == 409
    assert resp.json()["code"] == "invalid_state"


async def test_poster_phone_masked_until_claimed_then_shown_to_claimer_only(client, session):
    _, poster, staff, volunteer, other = await _people(session)
    wish = await _published(client, poster, staff)
    url = f"{API}/{wish['id']}"
    assert (await client.get(url, headers=auth(volunteer))).json()["poster"]["phone"] == "138****1111"
    await client.post(f"{url}/claim", headers=auth(volunteer))
    assert (await client.get(url, headers=auth(volunteer))).json()["poster"]["phone"] == "13800001111"
    assert (await client.get(url, headers=auth(other))).json()["poster"]["phone"] == "138****1111"
    assert (await client.get(url, headers=auth(other))).json()["claimer"]["phone"] == "138****2222"
    assert (await client.get(url, headers=auth(staff))).json()["poster"]["phone"] == "13800001111"


async def test_child_name_and_school_encrypted_masked_then_shown_to_claimer(client, session):
    _, poster, staff, volunteer, other = await _people(session)
    wish = await _published(
        client,
        poster,
        staff,
        title="给孙子买书包",
        category="助学",
        child_name="王小明",
        child_school="实验小学",
    )
    row = (await session.exec(select(Wish).where(Wish.id == wish["id"]))).one()
    assert "王小明" not in (row.child_name_enc or "")
    assert row.child_name_enc.startswith("gAAAA")
    url = f"{API}/{wish['id']}"
    before = (await client.get(url, headers=auth(volunteer))).json()
    assert (before["child_name"], before["child_school"]) == ("王**", "实验**")
    assert (await client.get(url, headers=auth(poster))).json()["child_name"] == "王小明"
    await client.post(f"{url}/claim", headers=auth(volunteer))
    after = (await client.get(url, headers=auth(volunteer))).json()
    assert (after["child_name"], after["child_school"]) == ("王小明", "实验小学")
    assert (await client.get(url, headers=auth(other))).json()["child_name"] == "王**"
    assert (await client.get(url, headers=auth(staff))).json()["child_name"] == "王**"


async def test_dispatched_wish_only_claimed_by_unit_people(client, session):
    tree, poster, staff, volunteer, _ = await _people(session)
    unit_member = await make_user(session, role=(tree.unit, "staff"))
    wish = await _post(client, poster)
    resp = await client.post(
        f"{API}/{wish['id']}/review",
        json={"approve": True, "assign_org_id": tree.unit.id},
        headers=auth(staff),
    )
    assert resp.json()["assigned_org_id"] == tree.unit.id
    assert resp.json()["events"][-1]["note"] == "派单给县医院"
    resp = await client.post(f"{API}/{wish['id']}/claim", headers=auth(volunteer))
    assert resp.status_code == 403
    assert resp.json()["code"] == "wish_dispatched_to_unit"
    assert (await client.post(f"{API}/{wish['id']}/claim", headers=auth(unit_member))).status_code == 200
    kinds = (
        await session.exec(select(Notification.kind).where(Notification.user_id == unit_member.id))
    ).all()
    assert kinds == ["wish_dispatched"]


async def test_dispatch_to_another_alliances_unit_is_422(client, session):
    from app.services import orgs as orgs_service

    tree, poster, staff, *_ = await _people(session)
    other_alliance = await orgs_service.add_org(session, name="别的联盟", kind="alliance", parent=None)
    far_unit = await orgs_service.add_org(session, name="外地单位", kind="unit", parent=other_alliance)
    await session.commit()
    wish = await _post(client, poster)
    resp = await client.post(
        f"{API}/{wish['id']}/review",
        json={"approve": True, "assign_org_id": far_unit.id},
        headers=auth(staff),
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid_assign_org"


async def test_dispatch_to_non_unit_is_422(client, session):
    tree, poster, staff, *_ = await _people(session)
    wish = await _post(client, poster)
    resp = await client.post(
        f"{API}/{wish['id']}/review",
        json={"approve": True, "assign_org_id": tree.compound.id},
        headers=auth(staff),
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid_assign_org"


async def test_actions_list_what_each_viewer_may_do(client, session):
    _, poster, staff, volunteer, _ = await _people(session)
    wish = await _post(client, poster)
    url = f"{API}/{wish['id']}"
    assert (await client.get(url, headers=auth(poster))).json()["actions"] == ["cancel"]
    assert (await client.get(url, headers=auth(staff))).json()["actions"] == ["review"]
    await client.post(f"{url}/review", json={"approve": True}, headers=auth(staff))
    assert (await client.get(url, headers=auth(volunteer))).json()["actions"] == ["claim"]
    await client.post(f"{url}/claim", headers=auth(volunteer))
    assert (await client.get(url, headers=auth(volunteer))).json()["actions"] == ["release", "done"]
    assert (await client.get(url, headers=auth(poster))).json()["actions"] == []


async def test_staff_posts_on_behalf_of_resident(client, session):
    tree, _, staff, *_ = await _people(session)
    resp = await client.post(
        API,
        json={
            "title": "代老人买药",
            "category": "助老",
            "org_id": tree.compound.id,
            "on_behalf_of_phone": "13912345678",
        },
        headers=auth(staff),
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["poster"]["phone"] == "13912345678"
    assert body["events"][0]["note"] == "由赵网格员代为提交"


async def test_resident_cannot_post_on_behalf_403(client, session):
    tree, poster, *_ = await _people(session)
    resp = await client.post(
        API,
        json={
            "title": "代人许愿",
            "category": "助老",
            "org_id": tree.compound.id,
            "on_behalf_of_phone": "13912345678",
        },
        headers=auth(poster),
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"


async def test_photo_upload_and_download(client, session):
    _, poster, staff, volunteer, other = await _people(session)
    wish = await _post(client, poster)
    resp = await client.post(
        f"{API}/{wish['id']}/photos", files={"photo": ("a.png", PNG, "image/png")}, headers=auth(poster)
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["photos"] == [f"/api/v1/wishes/{wish['id']}/photos/0"]
    resp = await client.get(f"{API}/{wish['id']}/photos/0", headers=auth(poster))
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "image/jpeg"  # re-encoded: the type is ours, not the uploader's
    assert resp.content.startswith(b"\xff\xd8\xff")
    assert (
        problem_code(await client.get(f"{API}/{wish['id']}/photos/0", headers=auth(other)), 404)
        == "wish_not_found"
    )


async def test_photo_of_wrong_type_is_422(client, session):
    _, poster, *_ = await _people(session)
    wish = await _post(client, poster)
    resp = await client.post(
        f"{API}/{wish['id']}/photos",
        files={"photo": ("a.png", b"<script>", "image/png")},
        headers=auth(poster),
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "photo_type_not_allowed"


async def test_poster_is_notified_when_published_and_claimed(client, session):
    _, poster, staff, volunteer, _ = await _people(session)
    wish = await _published(client, poster, staff)
    await client.post(f"{API}/{wish['id']}/claim", headers=auth(volunteer))
    kinds = (
        await session.exec(
            select(Notification.kind).where(Notification.user_id == poster.id).order_by(Notification.id)
        )
    ).all()
    assert kinds == ["wish_published", "wish_claimed"]


async def test_no_token_is_401(client, session):
    assert problem_code(await client.get(API), 401) == "not_authenticated"


async def _confirmed(client, poster, staff, volunteer):
    wish = await _published(client, poster, staff)
    url = f"{API}/{wish['id']}"
    await client.post(f"{url}/claim", headers=auth(volunteer))
    await client.post(
        f"{url}/done", json={"note": "换了新阀芯", "minutes_spent": 45}, headers=auth(volunteer)
    )
    await client.post(f"{url}/confirm", json={"rating": 4}, headers=auth(poster))
    return url


async def test_verify_credits_the_claimer_once(client, session):
    _, poster, staff, volunteer, _ = await _people(session)
    url = await _confirmed(client, poster, staff, volunteer)
    resp = await client.post(
        f"{url}/verify", json={"credit_minutes": 60, "note": "回访满意"}, headers=auth(staff)
    )
    assert resp.status_code == 200, resp.text
    assert (resp.json()["status"], resp.json()["credit_minutes"]) == ("verified", 60)
    again = await client.post(f"{url}/verify", json={"credit_minutes": 60}, headers=auth(staff))
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_state"
    balance = (await client.get("/api/v1/timebank/me", headers=auth(volunteer))).json()
    assert balance["balance_minutes"] == 60


async def test_resident_cannot_verify_403(client, session):
    _, poster, staff, volunteer, other = await _people(session)
    url = await _confirmed(client, poster, staff, volunteer)
    resp = await client.post(f"{url}/verify", json={"credit_minutes": 60}, headers=auth(other))
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"


async def test_party_member_employed_by_the_unit_may_claim_dispatched_wish(client, session):
    from app.models.member_reports import MemberReport

    tree, poster, staff, *_ = await _people(session)
    member = await make_user(session, name="在职党员", home=tree.compound, party="in_service")
    session.add(
        MemberReport(
            user_id=member.id,
            org_id=tree.compound.id,
            employer_unit_id=tree.unit.id,
            year=2026,
            period="2026",
            status="approved",
        )
    )
    await session.commit()
    wish = await _post(client, poster)
    await client.post(
        f"{API}/{wish['id']}/review",
        json={"approve": True, "assign_org_id": tree.unit.id},
        headers=auth(staff),
    )
    resp = await client.post(f"{API}/{wish['id']}/claim", headers=auth(member))
    assert resp.status_code == 200, resp.text


async def test_alliance_admin_sets_own_categories(client, session):
    tree, poster, staff, *_ = await _people(session)
    admin = await make_user(session, role=(tree.alliance, "admin"))
    assert (await client.get(f"{API}/categories", headers=auth(poster))).json() == [
        "生活服务",
        "物资",
        "助老",
        "助学",
        "医疗健康",
        "法律咨询",
        "其他",
    ]
    body = {"alliance_id": tree.alliance.id, "names": ["助老", "助学", "关爱骑手"]}
    assert (
        problem_code(await client.put(f"{API}/categories", json=body, headers=auth(staff)), 403)
        == "forbidden"
    )
    resp = await client.put(f"{API}/categories", json=body, headers=auth(admin))
    assert resp.status_code == 200
    assert (await client.get(f"{API}/categories", headers=auth(poster))).json() == [
        "助老",
        "助学",
        "关爱骑手",
    ]
    assert (
        await client.post(API, json={"title": "充电", "category": "关爱骑手"}, headers=auth(poster))
    ).status_code == 201
    resp = await client.post(API, json={"title": "修水管", "category": "生活服务"}, headers=auth(poster))
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid_category"


async def test_published_wish_is_for_people_of_its_alliance(client, session):
    from app.services import orgs as orgs_service

    tree, poster, staff, *_ = await _people(session)
    wish = await _published(client, poster, staff)
    other_alliance = await orgs_service.add_org(session, name="别的联盟", kind="alliance", parent=None)
    far_community = await orgs_service.add_org(
        session, name="远方社区", kind="community", parent=other_alliance
    )
    await session.commit()
    stranger = await make_user(session, home=far_community)
    assert (
        problem_code(await client.get(f"{API}/{wish['id']}", headers=auth(stranger)), 404) == "wish_not_found"
    )
    assert (await client.get(API, headers=auth(stranger))).json()["items"] == []
    assert (
        problem_code(await client.post(f"{API}/{wish['id']}/claim", headers=auth(stranger)), 404)
        == "wish_not_found"
    )


async def test_photo_over_5mb_is_422(client, session):
    _, poster, *_ = await _people(session)
    wish = await _post(client, poster)
    big = PNG + b"\x00" * (5 * 1024 * 1024)
    resp = await client.post(
        f"{API}/{wish['id']}/photos", files={"photo": ("a.png", big, "image/png")}, headers=auth(poster)
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "photo_too_large"


async def test_wish_page_of_someone_elses_unreviewed_wish_is_404(client, session):
    _, poster, staff, _, other = await _people(session)
    wish = await _post(client, poster)
    assert (await client.get(f"/wishes/{wish['id']}", headers=auth(other))).status_code == 404
    page = await client.get(f"/wishes/{wish['id']}", headers=auth(staff))
    assert page.status_code == 200
    assert 'data-wish-action="review"' in page.text
    assert 'data-wish-simple="cancel"' not in page.text
    assert (await client.get("/admin/wishes", headers=auth(other))).status_code == 403


async def test_promise_date_in_the_past_or_after_deadline_is_422(client, session):
    from app import clock

    _, poster, staff, volunteer, _ = await _people(session)
    deadline = (clock.now() + timedelta(days=3)).isoformat()
    wish = await _published(client, poster, staff, deadline=deadline)
    for days in (-1, 10):
        promise = (clock.today() + timedelta(days=days)).isoformat()
        resp = await client.post(
            f"{API}/{wish['id']}/claim", json={"promise_date": promise}, headers=auth(volunteer)
        )
        assert resp.status_code == 422
        assert resp.json()["code"] == "invalid_promise_date"
    resp = await client.post(f"{API}/{wish['id']}/claim", headers=auth(volunteer))
    assert resp.json()["promise_date"] == (clock.today() + timedelta(days=3)).isoformat()


# ---- bad input: a clear 422 with a stable code, never a 500 ----


async def test_id_beyond_any_column_is_422_naming_it_not_500(client, session):
    _, poster, *_ = await _people(session)
    for path, field in (
        (f"{API}/{2**63}", "wish_id"),
        (f"{API}/{2**31}", "wish_id"),
        (f"{API}/0", "wish_id"),
        (f"{API}?org_id={2**63}", "org_id"),
    ):
        resp = await client.get(path, headers=auth(poster))
        assert resp.status_code == 422, path
        assert resp.json()["code"] == "validation_error"
        assert [e["field"] for e in resp.json()["errors"]] == [field]
    resp = await client.post(
        API, json={"title": "帮忙修水龙头", "category": "生活服务", "org_id": 2**63}, headers=auth(poster)
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "validation_error"
    assert resp.json()["errors"][0]["field"] == "org_id"


async def test_cursor_naming_a_number_beyond_any_id_is_invalid_cursor(client, session):
    _, poster, *_ = await _people(session)
    for cursor in ("OTIyMzM3MjAzNjg1NDc3NTgwOA", "LTE", "!!!"):  # 2**63, -1, not base64
        resp = await client.get(f"{API}?cursor={cursor}", headers=auth(poster))
        assert resp.status_code == 422, cursor
        assert resp.json()["code"] == "invalid_cursor"


async def test_deadline_without_offset_or_out_of_the_calendar_is_422(client, session):
    _, poster, *_ = await _people(session)
    for deadline, code in (
        ("2026-12-01T10:00:00", "timezone_aware"),
        ("9999-12-31T23:59:59-12:00", "date_out_of_range"),
        ("0001-01-01T00:00:00Z", "date_out_of_range"),
    ):
        resp = await client.post(
            API,
            json={"title": "帮忙修水龙头", "category": "生活服务", "deadline": deadline},
            headers=auth(poster),
        )
        assert resp.status_code == 422, deadline
        assert resp.json()["errors"] == [
            {
                "field": "deadline",
                "code": code,
                "message": "时间须带时区" if code == "timezone_aware" else "日期超出可用范围（1900—2100年）",
            }
        ]
    assert (await session.exec(select(Wish))).all() == []


async def test_nul_character_in_text_or_query_is_422_invalid_character(client, session):
    _, poster, *_ = await _people(session)
    resp = await client.get(f"{API}?category=%00", headers=auth(poster))
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid_character"
    # Refused before the INSERT runs; the request's session is rolled back (this test's shared one is not reused).
    resp = await client.post(
        API, json={"title": "帮忙\u0000修水龙头", "category": "生活服务"}, headers=auth(poster)
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid_character"


async def test_list_items_equal_the_detail_view_for_each_viewer(client, session):
    """The list is one statement of joined columns (issue 12) and the detail view loads objects: for a
    mixed set of wishes, each item is the detail field for field (a list has no events or actions)."""
    from app.pagination import PageParams
    from app.services import wish_views

    tree, poster, staff, volunteer, other = await _people(session)
    outsider = await make_user(session, name="孙新人")  # belongs nowhere yet: every alliance's wall
    own_submitted = await _post(
        client, poster, title="还没审核", child_name="李小红", child_school="第一中学"
    )
    rejected = await _post(client, poster, title="被驳回的")
    await client.post(
        f"{API}/{rejected['id']}/review", json={"approve": False, "reason": "信息不全"}, headers=auth(staff)
    )
    others_submitted = await _post(client, other, title="别人的待审核")
    published = await _published(
        client, other, staff, title="别人的已发布", child_name="王小明", child_school="实验小学"
    )
    claimed = await _published(
        client, poster, staff, title="已认领", child_name="赵小强", child_school="二中"
    )
    assert (await client.post(f"{API}/{claimed['id']}/claim", headers=auth(volunteer))).status_code == 200
    with_photo = await _published(client, other, staff, title="有照片")
    await client.post(
        f"{API}/{with_photo['id']}/photos", files={"photo": ("a.png", PNG, "image/png")}, headers=auth(other)
    )
    await client.post(
        f"{API}/{published['id']}/review", json={"approve": True}, headers=auth(staff)
    )  # already published: refused, changes nothing
    every = {w["id"] for w in (own_submitted, rejected, others_submitted, published, claimed, with_photo)}

    async def detail(user, wish_id):
        resp = await client.get(f"{API}/{wish_id}", headers=auth(user))
        assert resp.status_code == 200, resp.text
        return {**resp.json(), "events": [], "actions": []}

    seen = {}
    for user in (poster, staff, volunteer, other, outsider):
        for query in ("", f"&org_id={tree.compound.id}", "&mine=true"):
            resp = await client.get(f"{API}?limit=100{query}", headers=auth(user))
            assert resp.status_code == 200, resp.text
            for item in resp.json()["items"]:
                assert item == await detail(user, item["id"]), (user.name, query, item["id"])
                seen.setdefault(user.name, set()).add(item["id"])
        for item in await wish_views.wall(session, user=user, limit=100):
            # the home page's wall is the public one: staff see it as everyone does (phones masked)
            if user is not staff:
                assert item.model_dump(mode="json") == await detail(user, item.id), (
                    user.name,
                    "wall",
                    item.id,
                )
        session.expunge_all()
    # the mix the test means: own unpublished, another's published, staff over the node, a claimer
    assert {own_submitted["id"], rejected["id"], published["id"], claimed["id"]} <= seen["张阿姨"]
    assert seen["赵网格员"] == every
    assert claimed["id"] in seen["蒋志愿者"] and others_submitted["id"] not in seen["蒋志愿者"]
    assert others_submitted["id"] in seen["钱大爷"] and own_submitted["id"] not in seen["钱大爷"]
    assert seen["孙新人"] == {published["id"], claimed["id"], with_photo["id"]}
    staff_queues = await wish_views.queues(session, user=staff)
    for item in staff_queues["review"]:
        assert item.model_dump(mode="json") == await detail(staff, item.id)
    mine, _ = await wish_views.list_wishes(session, actor=poster, params=PageParams(limit=100), mine=True)
    assert {w.id for w in mine} == {own_submitted["id"], rejected["id"], claimed["id"]}


async def test_list_pages_by_cursor_and_an_unknown_org_is_404(client, session):
    tree, poster, staff, *_ = await _people(session)
    ids = [(await _published(client, poster, staff, title=f"心愿{i}"))["id"] for i in range(5)]
    pages, cursor = [], None
    for _ in range(5):
        url = f"{API}?org_id={tree.compound.id}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = (await client.get(url, headers=auth(poster))).json()
        pages.append([w["id"] for w in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == [ids[::-1][0:2], ids[::-1][2:4], ids[::-1][4:]]
    # an unknown node is 404 (the page statement finds nothing, then the node is looked up), before a
    # bad cursor's 422; a node with nothing to show is an empty page
    assert (
        problem_code(await client.get(f"{API}?org_id=999999", headers=auth(poster)), 404) == "org_not_found"
    )
    resp = await client.get(f"{API}?org_id=999999&cursor=!!!", headers=auth(poster))
    assert problem_code(resp, 404) == "org_not_found"
    resp = await client.get(f"{API}?org_id={tree.compound.id}&cursor=!!!", headers=auth(poster))
    assert problem_code(resp, 422) == "invalid_cursor"
    assert (
        problem_code(await client.get(f"{API}?org_id=abc", headers=auth(poster)), 422) == "validation_error"
    )
    resp = await client.get(f"{API}?org_id={tree.compound.id}&category=助学", headers=auth(poster))
    assert resp.json() == {"items": [], "next_cursor": None}
