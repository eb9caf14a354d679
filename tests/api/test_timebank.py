"""The /timebank contract: balance, statement, transfers, grants, rewards, policy, audit."""

from sqlalchemy import text
from sqlmodel import select

from app.models.audit import AuditLog
from app.models.timebank import TimebankPolicy
from app.services import ledger
from tests.factories import auth, make_tree, make_user

API = "/api/v1/timebank"


async def credit(session, org, user, minutes, ref_id=1):
    await ledger.credit_service(
        session,
        org_id=org.id,
        user_id=user.id,
        minutes=minutes,
        ref_type="wish",
        ref_id=ref_id,
        memo="帮邻居买菜",
        actor_id=None,
    )
    await session.commit()


def key(k: str) -> dict[str, str]:
    return {"Idempotency-Key": k}


async def test_new_person_has_an_empty_balance(client, session):
    user = await make_user(session)
    resp = await client.get(f"{API}/me", headers=auth(user))
    assert resp.status_code == 200
    assert resp.json()["balance_minutes"] == 0
    assert resp.json()["star_level"] == 0


async def test_balance_and_star_level_follow_earned_minutes(client, session):
    tree = await make_tree(session)
    user = await make_user(session, home=tree.compound)
    await credit(session, tree.compound, user, 100 * 60)
    body = (await client.get(f"{API}/me", headers=auth(user))).json()
    assert (body["balance_minutes"], body["earned_minutes"], body["spent_minutes"], body["star_level"]) == (
        6000,
        6000,
        0,
        1,
    )


async def test_statement_is_newest_first_and_paged(client, session):
    tree = await make_tree(session)
    user = await make_user(session, home=tree.compound)
    for i, minutes in enumerate([30, 60, 90]):
        await credit(session, tree.compound, user, minutes, ref_id=i)
    resp = await client.get(f"{API}/me/entries?limit=2", headers=auth(user))
    page = resp.json()
    assert [(e["amount_minutes"], e["balance_after_minutes"]) for e in page["items"]] == [(90, 180), (60, 90)]
    assert set(page["items"][0]) == {
        "txn_id",
        "at",
        "kind",
        "amount_minutes",
        "balance_after_minutes",
        "memo",
    }
    assert page["items"][0]["kind"] == "earn"
    rest = (
        await client.get(f"{API}/me/entries?limit=2&cursor={page['next_cursor']}", headers=auth(user))
    ).json()
    assert [e["amount_minutes"] for e in rest["items"]] == [30]
    assert rest["next_cursor"] is None


async def test_transfer_moves_minutes_to_family(client, session):
    tree = await make_tree(session)
    giver = await make_user(session, home=tree.compound)
    son = await make_user(session, home=tree.compound, phone="13912345678")
    await credit(session, tree.compound, giver, 120)
    resp = await client.post(
        f"{API}/transfers",
        json={"to_phone": son.phone, "minutes": 45, "memo": "给儿子"},
        headers={**auth(giver), **key("t-1")},
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["balance_minutes"] == 75
    assert resp.json()["to_phone"] == "139****5678"
    assert (await client.get(f"{API}/me", headers=auth(son))).json()["balance_minutes"] == 45
    assert (await client.get(f"{API}/me", headers=auth(giver))).json()["spent_minutes"] == 45


async def test_transfer_without_key_is_422(client, session):
    tree = await make_tree(session)
    giver = await make_user(session, home=tree.compound)
    son = await make_user(session)
    resp = await client.post(
        f"{API}/transfers", json={"to_phone": son.phone, "minutes": 5}, headers=auth(giver)
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "idempotency_key_required"


async def test_transfer_beyond_balance_is_409_insufficient_balance(client, session):
    tree = await make_tree(session)
    giver = await make_user(session, home=tree.compound)
    son = await make_user(session)
    await credit(session, tree.compound, giver, 30)
    resp = await client.post(
        f"{API}/transfers", json={"to_phone": son.phone, "minutes": 31}, headers={**auth(giver), **key("t-2")}
    )
    assert resp.status_code == 409
    assert resp.json()["code"] == "insufficient_balance"


async def test_transfer_to_self_is_409(client, session):
    giver = await make_user(session)
    resp = await client.post(
        f"{API}/transfers",
        json={"to_phone": giver.phone, "minutes": 1},
        headers={**auth(giver), **key("t-3")},
    )
    assert resp.status_code == 409
    assert resp.json()["code"] == "cannot_transfer_to_self"


async def test_replayed_key_returns_first_response_and_posts_once(client, session):
    tree = await make_tree(session)
    giver = await make_user(session, home=tree.compound)
    son = await make_user(session)
    await credit(session, tree.compound, giver, 100)
    body = {"to_phone": son.phone, "minutes": 10}
    first = await client.post(f"{API}/transfers", json=body, headers={**auth(giver), **key("same")})
    again = await client.post(f"{API}/transfers", json=body, headers={**auth(giver), **key("same")})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert (await client.get(f"{API}/me", headers=auth(giver))).json()["balance_minutes"] == 90


async def test_same_key_with_another_body_is_409_reused(client, session):
    tree = await make_tree(session)
    giver = await make_user(session, home=tree.compound)
    son = await make_user(session)
    await credit(session, tree.compound, giver, 100)
    await client.post(
        f"{API}/transfers", json={"to_phone": son.phone, "minutes": 10}, headers={**auth(giver), **key("k")}
    )
    resp = await client.post(
        f"{API}/transfers", json={"to_phone": son.phone, "minutes": 20}, headers={**auth(giver), **key("k")}
    )
    assert resp.status_code == 409
    assert resp.json()["code"] == "idempotency_key_reused"


async def test_daily_family_transfer_cap_is_enforced(client, session):
    tree = await make_tree(session)
    session.add(TimebankPolicy(alliance_id=tree.alliance.id, family_transfer_daily_cap_minutes=60))
    giver = await make_user(session, home=tree.compound)
    son = await make_user(session)
    await credit(session, tree.compound, giver, 300)
    ok = await client.post(
        f"{API}/transfers", json={"to_phone": son.phone, "minutes": 50}, headers={**auth(giver), **key("a")}
    )
    over = await client.post(
        f"{API}/transfers", json={"to_phone": son.phone, "minutes": 11}, headers={**auth(giver), **key("b")}
    )
    assert ok.status_code == 201
    assert over.status_code == 409
    assert over.json()["code"] == "transfer_daily_cap_exceeded"


async def test_admin_grant_and_correction_never_below_zero(client, session):
    tree = await make_tree(session)
    admin = await make_user(session, role=(tree.community, "admin"))
    person = await make_user(session, home=tree.compound)
    resp = await client.post(
        f"{API}/grants",
        json={"user_id": person.id, "minutes": 60, "reason": "补录线下服务"},
        headers={**auth(admin), **key("g1")},
    )
    assert resp.status_code == 201, resp.text
    assert (resp.json()["kind"], resp.json()["balance_minutes"]) == ("grant", 60)
    fix = await client.post(
        f"{API}/grants",
        json={"user_id": person.id, "minutes": -20, "reason": "多记了"},
        headers={**auth(admin), **key("g2")},
    )
    assert (fix.json()["kind"], fix.json()["balance_minutes"]) == ("correction", 40)
    too_much = await client.post(
        f"{API}/grants",
        json={"user_id": person.id, "minutes": -41, "reason": "更正"},
        headers={**auth(admin), **key("g3")},
    )
    assert too_much.status_code == 409
    assert too_much.json()["code"] == "insufficient_balance"
    logs = (await session.exec(select(AuditLog).where(AuditLog.on_behalf_of_id == person.id))).all()
    assert sorted(log.action for log in logs) == ["timebank.correction", "timebank.grant"]


async def test_staff_cannot_grant_403(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    person = await make_user(session, home=tree.compound)
    resp = await client.post(
        f"{API}/grants",
        json={"user_id": person.id, "minutes": 60, "reason": "补录"},
        headers={**auth(staff), **key("g")},
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"


async def test_audit_is_for_alliance_admins(client, session):
    tree = await make_tree(session)
    community_admin = await make_user(session, role=(tree.community, "admin"))
    resp = await client.get(f"{API}/audit", headers=auth(community_admin))
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"


async def test_audit_reports_a_sound_ledger(client, session):
    tree = await make_tree(session)
    boss = await make_user(session, role=(tree.alliance, "admin"))
    user = await make_user(session, home=tree.compound)
    await credit(session, tree.compound, user, 90, ref_id=1)
    await credit(session, tree.compound, user, 30, ref_id=2)
    body = (await client.get(f"{API}/audit", headers=auth(boss))).json()
    assert (body["ok"], body["transactions"], body["entries_sum"], body["chain_ok"]) == (True, 2, 0, True)


async def test_audit_names_the_tampered_txn(client, session):
    tree = await make_tree(session)
    boss = await make_user(session, role=(tree.alliance, "admin"))
    user = await make_user(session, home=tree.compound)
    await credit(session, tree.compound, user, 90, ref_id=1)
    txn = await ledger.find_by_ref(session, ref_type="wish", ref_id=1, user_id=user.id)
    await session.exec(text("UPDATE ledger_txns SET memo = '篡改' WHERE id = :i"), params={"i": txn.id})
    body = (await client.get(f"{API}/audit", headers=auth(boss))).json()
    assert (body["ok"], body["chain_ok"], body["first_broken_txn_id"]) == (False, False, txn.id)


async def test_reward_redeem_spends_minutes_and_stock(client, session):
    tree = await make_tree(session)
    master = await make_user(session, role=(tree.compound, "staff"))
    user = await make_user(session, home=tree.compound)
    await credit(session, tree.compound, user, 100)
    made = await client.post(
        f"{API}/rewards",
        json={"org_id": tree.compound.id, "name": "大米一袋", "price_minutes": 60, "stock": 1},
        headers=auth(master),
    )
    assert made.status_code == 201, made.text
    rid = made.json()["id"]
    listed = (await client.get(f"{API}/rewards?org_id={tree.community.id}", headers=auth(user))).json()
    assert [r["name"] for r in listed["items"]] == ["大米一袋"]
    resp = await client.post(f"{API}/rewards/{rid}/redeem", headers={**auth(user), **key("r1")})
    assert resp.status_code == 201, resp.text
    assert (resp.json()["balance_minutes"], resp.json()["stock_left"]) == (40, 0)
    other = await make_user(session, home=tree.compound)
    await credit(session, tree.compound, other, 100, ref_id=9)
    gone = await client.post(f"{API}/rewards/{rid}/redeem", headers={**auth(other), **key("r2")})
    assert gone.status_code == 409
    assert gone.json()["code"] == "reward_out_of_stock"


async def test_staff_redeem_for_a_resident_is_audited(client, session):
    tree = await make_tree(session)
    master = await make_user(session, role=(tree.compound, "staff"))
    granny = await make_user(session, home=tree.compound)
    await credit(session, tree.compound, granny, 100)
    rid = (
        await client.post(
            f"{API}/rewards",
            json={"org_id": tree.compound.id, "name": "理发", "price_minutes": 30, "stock": 5},
            headers=auth(master),
        )
    ).json()["id"]
    resp = await client.post(
        f"{API}/rewards/{rid}/redeem",
        json={"for_phone": granny.phone},
        headers={**auth(master), **key("for")},
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["user_id"] == granny.id
    log = (await session.exec(select(AuditLog).where(AuditLog.action == "timebank.redeem_for"))).one()
    assert (log.actor_id, log.on_behalf_of_id) == (master.id, granny.id)


async def test_resident_cannot_redeem_for_someone_else(client, session):
    tree = await make_tree(session)
    master = await make_user(session, role=(tree.compound, "staff"))
    user = await make_user(session, home=tree.compound)
    other = await make_user(session, home=tree.compound)
    rid = (
        await client.post(
            f"{API}/rewards",
            json={"org_id": tree.compound.id, "name": "理发", "price_minutes": 30, "stock": 5},
            headers=auth(master),
        )
    ).json()["id"]
    resp = await client.post(
        f"{API}/rewards/{rid}/redeem", json={"for_phone": other.phone}, headers={**auth(user), **key("x")}
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "forbidden"


async def test_redeem_age_and_storage_cap_follow_the_policy(client, session):
    tree = await make_tree(session)
    session.add(
        TimebankPolicy(
            alliance_id=tree.alliance.id,
            redeem_min_age=65,
            redeem_min_age_hardship=60,
            storage_cap_minutes=50,
        )
    )
    master = await make_user(session, role=(tree.compound, "staff"))
    young = await make_user(session, home=tree.compound)
    young.birth_year = 1990
    old = await make_user(session, home=tree.compound)
    old.birth_year = 1940
    session.add_all([young, old])
    await credit(session, tree.compound, young, 100, ref_id=1)
    await credit(session, tree.compound, old, 100, ref_id=2)
    cheap = (
        await client.post(
            f"{API}/rewards",
            json={"org_id": tree.compound.id, "name": "毛巾", "price_minutes": 30, "stock": 5},
            headers=auth(master),
        )
    ).json()["id"]
    dear = (
        await client.post(
            f"{API}/rewards",
            json={"org_id": tree.compound.id, "name": "电饭煲", "price_minutes": 60, "stock": 5},
            headers=auth(master),
        )
    ).json()["id"]
    too_young = await client.post(f"{API}/rewards/{cheap}/redeem", headers={**auth(young), **key("1")})
    assert too_young.json()["code"] == "redeem_age_not_reached"
    above_cap = await client.post(f"{API}/rewards/{dear}/redeem", headers={**auth(old), **key("2")})
    assert above_cap.json()["code"] == "above_storage_cap"
    ok = await client.post(f"{API}/rewards/{cheap}/redeem", headers={**auth(old), **key("3")})
    assert ok.status_code == 201
    me = (await client.get(f"{API}/me", headers=auth(old))).json()
    assert (me["balance_minutes"], me["spendable_minutes"], me["storage_cap_minutes"]) == (70, 50, 50)


async def test_yearly_totals_for_me_and_for_the_org(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    user = await make_user(session, home=tree.compound)
    await credit(session, tree.compound, user, 90)
    mine = (await client.get(f"{API}/me/years", headers=auth(user))).json()
    assert [(y["earned_minutes"], y["spent_minutes"]) for y in mine] == [(90, 0)]
    org = (await client.get(f"{API}/orgs/{tree.community.id}/years", headers=auth(staff))).json()
    assert [(y["earned_minutes"], y["people"]) for y in org] == [(90, 1)]
    other = await client.get(f"{API}/orgs/{tree.other_community.id}/years", headers=auth(staff))
    assert other.status_code == 403
    assert other.json()["code"] == "forbidden"


async def test_policy_is_set_by_alliance_admins(client, session):
    tree = await make_tree(session)
    boss = await make_user(session, role=(tree.alliance, "admin"))
    resp = await client.put(
        f"{API}/policy/{tree.alliance.id}",
        json={"storage_cap_minutes": 90000, "rounding_unit_minutes": 30},
        headers=auth(boss),
    )
    assert resp.status_code == 200, resp.text
    got = (await client.get(f"{API}/policy?org_id={tree.grid.id}", headers=auth(boss))).json()
    assert got["storage_cap_minutes"] == 90000
    staff = await make_user(session, role=(tree.community, "admin"))
    denied = await client.put(f"{API}/policy/{tree.alliance.id}", json={}, headers=auth(staff))
    assert denied.status_code == 403
    assert denied.json()["code"] == "forbidden"


def test_served_time_rounds_to_half_hours():
    from app.services.timebank import star_level
    from app.services.timebank_policy import round_served_minutes

    assert [round_served_minutes(None, m) for m in (0, 14, 15, 44, 45, 60, 74, 75)] == [
        0,
        0,
        30,
        30,
        60,
        60,
        60,
        90,
    ]
    assert [star_level(h * 60) for h in (99, 100, 300, 600, 1000, 1500)] == [0, 1, 2, 3, 4, 5]


async def test_timebank_page_shows_hours_stars_and_statement(client, session):
    tree = await make_tree(session)
    user = await make_user(session, home=tree.compound)
    await credit(session, tree.compound, user, 750)
    resp = await client.get("/timebank", headers=auth(user))
    assert resp.status_code == 200
    assert "12小时30分" in resp.text
    assert "帮邻居买菜" in resp.text
    assert "transfer-form" in resp.text


async def test_rewards_manage_page_is_for_staff(client, session):
    tree = await make_tree(session)
    master = await make_user(session, role=(tree.compound, "staff"))
    resident = await make_user(session, home=tree.compound)
    await client.post(
        f"{API}/rewards",
        json={"org_id": tree.compound.id, "name": "挂面", "price_minutes": 30, "stock": 2},
        headers=auth(master),
    )
    ok = await client.get("/timebank/rewards/manage", headers=auth(master))
    assert ok.status_code == 200
    assert "挂面" in ok.text
    denied = await client.get("/timebank/rewards/manage", headers=auth(resident))
    assert denied.status_code == 403


async def test_transfer_to_an_unknown_phone_is_404(client, session):
    tree = await make_tree(session)
    giver = await make_user(session, home=tree.compound)
    await credit(session, tree.compound, giver, 60)
    resp = await client.post(
        f"{API}/transfers",
        json={"to_phone": "13199999999", "minutes": 5},
        headers={**auth(giver), **key("u")},
    )
    assert resp.status_code == 404
    assert resp.json()["code"] == "recipient_not_found"


async def test_hardship_lowers_the_redeem_age(client, session):
    tree = await make_tree(session)
    session.add(TimebankPolicy(alliance_id=tree.alliance.id, redeem_min_age=65, redeem_min_age_hardship=60))
    master = await make_user(session, role=(tree.compound, "staff"))
    resident = await make_user(session, home=tree.compound)
    from app import clock

    resident.birth_year = clock.now().year - 62
    session.add(resident)
    await credit(session, tree.compound, resident, 100)
    rid = (
        await client.post(
            f"{API}/rewards",
            json={"org_id": tree.compound.id, "name": "挂面", "price_minutes": 30, "stock": 5},
            headers=auth(master),
        )
    ).json()["id"]
    refused = await client.post(f"{API}/rewards/{rid}/redeem", headers={**auth(resident), **key("h1")})
    assert refused.json()["code"] == "redeem_age_not_reached"
    marked = await client.put(f"{API}/hardship/{resident.id}?hardship=true", headers=auth(master))
    assert marked.status_code == 200
    ok = await client.post(f"{API}/rewards/{rid}/redeem", headers={**auth(resident), **key("h2")})
    assert ok.status_code == 201, ok.text


async def test_served_minutes_follow_the_alliance_rounding(session):
    from app.services.timebank_policy import served_minutes_for

    tree = await make_tree(session)
    assert await served_minutes_for(session, org_id=tree.grid.id, minutes=50) == 60
    session.add(TimebankPolicy(alliance_id=tree.alliance.id, rounding_unit_minutes=60))
    await session.commit()
    assert await served_minutes_for(session, org_id=tree.grid.id, minutes=50) == 60
    assert await served_minutes_for(session, org_id=tree.grid.id, minutes=29) == 0


async def test_reward_must_name_a_station_under_its_org(client, session):
    from app.models.stations import Station

    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    mine = Station(org_id=tree.compound.id, name="幸福里驿站", lat=34.6, lng=119.2)
    theirs = Station(org_id=tree.other_compound.id, name="和平驿站", lat=34.6, lng=119.2)
    session.add_all([mine, theirs])
    await session.commit()
    body = {"org_id": tree.community.id, "name": "毛巾", "price_minutes": 60, "stock": 3}
    ok = await client.post(
        "/api/v1/timebank/rewards", json={**body, "station_id": mine.id}, headers=auth(staff)
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["station_id"] == mine.id
    for station_id in (theirs.id, 999999):
        bad = await client.post(
            "/api/v1/timebank/rewards", json={**body, "station_id": station_id}, headers=auth(staff)
        )
        assert bad.status_code == 422
        assert bad.json()["code"] == "invalid_station"


async def test_yearly_totals_follow_the_calendar_in_china(client, session):
    from datetime import UTC, datetime

    from app import clock

    tree = await make_tree(session)
    user = await make_user(session, home=tree.compound)
    for at, minutes, ref in (
        (datetime(2025, 12, 31, 15, 0, tzinfo=UTC), 30, 1),  # 23:00 on 31 Dec in China
        (datetime(2025, 12, 31, 17, 0, tzinfo=UTC), 60, 2),
    ):  # 01:00 on 1 Jan in China
        clock.reset()
        clock.travel(at - clock.now())
        await credit(session, tree.compound, user, minutes, ref_id=ref)
    years = (await client.get(f"{API}/me/years", headers=auth(user))).json()
    assert [(y["year"], y["earned_minutes"]) for y in years] == [(2026, 60), (2025, 30)]


async def test_audit_shows_only_the_callers_alliance(client, session):
    from app.models.org import OrgKind
    from app.services import orgs as orgs_service

    tree = await make_tree(session)
    boss = await make_user(session, role=(tree.alliance, "admin"))
    ours = await make_user(session, home=tree.compound)
    theirs_alliance = await orgs_service.add_org(session, name="另一联盟", kind=OrgKind.alliance, parent=None)
    theirs_compound = await orgs_service.add_org(
        session, name="别处小区", kind=OrgKind.compound, parent=theirs_alliance
    )
    await session.commit()
    theirs = await make_user(session, home=theirs_compound)
    await credit(session, tree.compound, ours, 90, ref_id=1)
    await credit(session, theirs_compound, theirs, 30, ref_id=2)
    await credit(session, theirs_compound, theirs, 40, ref_id=3)
    tampered = await ledger.find_by_ref(session, ref_type="wish", ref_id=3, user_id=theirs.id)
    await session.exec(text("UPDATE ledger_txns SET memo = '篡改' WHERE id = :i"), params={"i": tampered.id})

    body = (await client.get(f"{API}/audit", headers=auth(boss))).json()
    # One txn of ours; the other alliance's two (and its tampering) are neither counted nor named.
    assert (body["ok"], body["transactions"], body["chain_ok"], body["problems"]) == (True, 1, True, [])
    other_boss = await make_user(session, role=(theirs_alliance, "admin"))
    theirs_view = (await client.get(f"{API}/audit", headers=auth(other_boss))).json()
    assert (theirs_view["transactions"], theirs_view["first_broken_txn_id"]) == (2, tampered.id)
    # The whole chain is still proven by the CLI's check.
    whole = await ledger.verify(session)
    assert (whole.transactions, whole.chain_ok) == (3, False)


async def test_a_sender_without_the_minutes_learns_nothing_about_the_phone(client, session):
    tree = await make_tree(session)
    giver = await make_user(session, home=tree.compound)
    son = await make_user(session, name="王小明", home=tree.compound)
    await credit(session, tree.compound, giver, 10)
    replies = []
    for i, phone in enumerate((son.phone, "13199999999")):
        resp = await client.post(
            f"{API}/transfers",
            json={"to_phone": phone, "minutes": 11},
            headers={**auth(giver), **key(f"probe-{i}")},
        )
        replies.append((resp.status_code, resp.json()["code"], resp.json()["detail"]))
    assert replies[0] == replies[1] == (409, "insufficient_balance", "余额不足：当前余额 10分")


async def test_a_transfer_confirms_the_recipient_by_a_masked_name(client, session):
    tree = await make_tree(session)
    giver = await make_user(session, home=tree.compound)
    son = await make_user(session, name="王小明", home=tree.compound)
    await credit(session, tree.compound, giver, 60)
    resp = await client.post(
        f"{API}/transfers", json={"to_phone": son.phone, "minutes": 5}, headers={**auth(giver), **key("m")}
    )
    assert resp.status_code == 201, resp.text
    assert (resp.json()["to_name"], resp.json()["to_phone"]) == (
        "王**",
        son.phone[:3] + "****" + son.phone[-4:],
    )
    statement = (await client.get(f"{API}/me/entries", headers=auth(giver))).json()
    assert "王小明" not in str(statement)
