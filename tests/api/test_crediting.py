"""The one crediting rule as each domain applies it (duty shifts, wishes, activities): what the
ledger gets is bounded, rounded by the alliance's unit, and credited once."""

from datetime import timedelta

from sqlmodel import select

from app import clock
from app.models.stations import ShiftSignup, Station
from app.models.timebank import LedgerAccount, TimebankPolicy
from app.services import qr
from tests.factories import auth, make_tree, make_user


async def _earned(session, user) -> int:
    account = (await session.exec(select(LedgerAccount).where(LedgerAccount.user_id == user.id))).first()
    await session.refresh(account) if account else None
    return account.earned_minutes if account else 0


async def _duty(client, session, *, served: timedelta, unit: int | None = None):
    tree = await make_tree(session)
    if unit is not None:
        session.add(TimebankPolicy(alliance_id=tree.alliance.id, rounding_unit_minutes=unit))
    staff = await make_user(session, role=(tree.compound, "staff"))
    station = Station(org_id=tree.compound.id, name="驿站", address="幸福路1号", lat=34.2867, lng=119.2390)
    session.add(station)
    await session.commit()
    start = clock.now()
    shift = (
        await client.post(
            f"/api/v1/stations/{station.id}/shifts",
            json={
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=2)).isoformat(),
                "capacity": 1,
            },
            headers=auth(staff),
        )
    ).json()
    member = await make_user(session, party="retired")
    await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=auth(member))
    scan = {"token": qr.live_token("s", station.id, at=clock.now())[0]}
    assert (await client.post("/api/v1/checkins", json=scan, headers=auth(member))).json()[
        "kind"
    ] == "duty_start"
    clock.travel(served)
    scan = {"token": qr.live_token("s", station.id, at=clock.now())[0]}
    end = await client.post("/api/v1/checkins", json=scan, headers=auth(member))
    assert end.json()["kind"] == "duty_end", end.text
    return member, end.json()


async def test_a_short_duty_rounds_to_nothing_under_the_alliance_unit(client, session):
    # The case: a 2-minute duty was credited 2 and the page showed "+0 小时".
    member, end = await _duty(client, session, served=timedelta(minutes=3))
    assert end["credited_minutes"] == 0
    row = (await session.exec(select(ShiftSignup))).one()
    assert row.served_minutes == 0
    assert await _earned(session, member) == 0


async def test_duty_rounds_half_up_to_the_unit(client, session):
    member, end = await _duty(client, session, served=timedelta(minutes=50))
    assert end["credited_minutes"] == 60
    assert await _earned(session, member) == 60


async def test_an_alliance_with_exact_minutes_credits_them(client, session):
    member, end = await _duty(client, session, served=timedelta(minutes=50), unit=0)
    assert end["credited_minutes"] == 50
    assert await _earned(session, member) == 50


# ---- wishes: the verifier's figure against what the volunteer reported ----------------------

WISHES = "/api/v1/wishes"


async def _confirmed_wish(client, session, *, reported: int):
    tree = await make_tree(session)
    poster = await make_user(session, home=tree.compound)
    staff = await make_user(session, role=(tree.compound, "staff"))
    volunteer = await make_user(session, home=tree.compound)
    admin = await make_user(session, role=(tree.alliance, "admin"))
    body = {"title": "陪老人就医", "description": "周三上午", "category": "生活服务"}
    wish = (await client.post(WISHES, json=body, headers=auth(poster))).json()
    url = f"{WISHES}/{wish['id']}"
    assert (
        await client.post(f"{url}/review", json={"approve": True}, headers=auth(staff))
    ).status_code == 200
    assert (await client.post(f"{url}/claim", headers=auth(volunteer))).status_code == 200
    done = {"note": "陪同就医", "minutes_spent": reported}
    assert (await client.post(f"{url}/done", json=done, headers=auth(volunteer))).status_code == 200
    assert (await client.post(f"{url}/confirm", json={"rating": 5}, headers=auth(poster))).status_code == 200
    return url, staff, volunteer, admin


async def test_verifier_typing_600_for_30_reported_is_refused(client, session):
    # The case: 30 minutes reported, the verifier typed 600 and 600 were credited.
    url, staff, volunteer, _ = await _confirmed_wish(client, session, reported=30)
    resp = await client.post(
        f"{url}/verify", json={"credit_minutes": 600, "note": "辛苦"}, headers=auth(staff)
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "credit_above_margin"
    assert "联盟管理员" in resp.json()["detail"]
    assert await _earned(session, volunteer) == 0


async def test_raising_without_a_reason_is_422(client, session):
    url, staff, volunteer, _ = await _confirmed_wish(client, session, reported=30)
    resp = await client.post(f"{url}/verify", json={"credit_minutes": 40}, headers=auth(staff))
    assert resp.status_code == 422
    assert resp.json()["code"] == "credit_reason_required"


async def test_raising_within_the_margin_with_a_reason_rounds_by_the_unit(client, session):
    url, staff, volunteer, _ = await _confirmed_wish(client, session, reported=30)
    resp = await client.post(
        f"{url}/verify", json={"credit_minutes": 45, "note": "往返路远"}, headers=auth(staff)
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["credit_minutes"] == 60  # 45 rounds half-up to 60 under the 30-minute unit
    assert await _earned(session, volunteer) == 60


async def test_lowering_needs_no_reason_and_is_credited_rounded(client, session):
    url, staff, volunteer, _ = await _confirmed_wish(client, session, reported=90)
    resp = await client.post(f"{url}/verify", json={"credit_minutes": 50}, headers=auth(staff))
    assert resp.status_code == 200, resp.text
    assert resp.json()["credit_minutes"] == 60
    assert await _earned(session, volunteer) == 60


async def test_alliance_admin_may_go_above_the_margin_and_it_is_audited(client, session):
    from app.models.audit import AuditLog

    url, _, volunteer, admin = await _confirmed_wish(client, session, reported=30)
    resp = await client.post(
        f"{url}/verify", json={"credit_minutes": 120, "note": "雨夜送医"}, headers=auth(admin)
    )
    assert resp.status_code == 200, resp.text
    assert await _earned(session, volunteer) == 120
    row = (await session.exec(select(AuditLog).where(AuditLog.action == "wish.verify"))).one()
    assert row.detail == {
        "reported_minutes": 30,
        "requested_minutes": 120,
        "credit_minutes": 120,
        "above_margin": True,
    }


async def test_a_policy_margin_of_200_percent_lets_staff_double(client, session):
    url, staff, volunteer, _ = await _confirmed_wish(client, session, reported=30)
    from app.models.org import Org

    alliance = (await session.exec(select(Org).where(Org.parent_id.is_(None)))).first()
    session.add(TimebankPolicy(alliance_id=alliance.id, raise_margin_percent=200))
    await session.commit()
    resp = await client.post(
        f"{url}/verify", json={"credit_minutes": 60, "note": "两趟"}, headers=auth(staff)
    )
    assert resp.status_code == 200, resp.text
    assert await _earned(session, volunteer) == 60


# ---- activities: the stay, the kind, the minimum and the no-sign-out ---------------------------

ACTS = "/api/v1/activities"


async def _signed_in(client, session, *, kind="志愿服务", credit=60, hours=1, policy=None, people=1):
    tree = await make_tree(session)
    if policy is not None:
        session.add(TimebankPolicy(alliance_id=tree.alliance.id, **policy))
    staff = await make_user(session, role=(tree.community, "staff"))
    start = clock.now()
    body = {
        "org_id": tree.compound.id,
        "title": "清扫楼道",
        "kind": kind,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=hours)).isoformat(),
        "capacity": 10,
        "credit_minutes": credit,
    }
    resp = await client.post(ACTS, json=body, headers=auth(staff))
    assert resp.status_code == 201, resp.text
    act = resp.json()
    members = []
    for _ in range(people):
        person = await make_user(session)
        await client.post(f"{ACTS}/{act['id']}/signup", headers=auth(person))
        scan = {"token": qr.live_token("a", act["id"], at=clock.now())[0]}
        assert (await client.post("/api/v1/checkins", json=scan, headers=auth(person))).status_code == 200
        members.append(person)
    return act, staff, members


async def _sign_out(client, act, person):
    token = qr.live_token("a", act["id"], at=clock.now())[0]
    resp = await client.post(f"{ACTS}/{act['id']}/signout", json={"token": token}, headers=auth(person))
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_signing_out_12_ms_after_signing_in_earns_nothing(client, session):
    # The case: it earned the activity's full 60 minutes.
    act, _, [person] = await _signed_in(client, session)
    clock.travel(timedelta(milliseconds=12))
    assert (await _sign_out(client, act, person))["credited_minutes"] == 0
    assert await _earned(session, person) == 0


async def test_a_stay_under_the_minimum_earns_nothing_and_above_it_the_rounded_stay(client, session):
    act, _, [short, long] = await _signed_in(client, session, people=2, credit=120, hours=2)
    clock.travel(timedelta(minutes=14))
    assert (await _sign_out(client, act, short))["credited_minutes"] == 0
    clock.travel(timedelta(minutes=26))  # 40 minutes in all
    assert (await _sign_out(client, act, long))["credited_minutes"] == 30
    assert (await _earned(session, short), await _earned(session, long)) == (0, 30)


async def test_the_stated_credit_bounds_a_long_stay(client, session):
    act, _, [person] = await _signed_in(client, session, credit=60, hours=3)
    clock.travel(timedelta(hours=2, minutes=50))
    assert (await _sign_out(client, act, person))["credited_minutes"] == 60


async def test_a_party_lesson_records_attendance_without_time_bank_credit(client, session):
    # The case: 党课 and meetings counted as volunteer service and toward stars.
    for kind in ("党课", "议事会"):
        act, staff, [person] = await _signed_in(client, session, kind=kind)
        clock.travel(timedelta(minutes=59))
        assert (await _sign_out(client, act, person))["credited_minutes"] == 0
        closed = (await client.post(f"{ACTS}/{act['id']}/close", headers=auth(staff))).json()
        assert (closed["attended"], closed["credited"]) == (1, 0)
        assert await _earned(session, person) == 0


async def test_close_credits_a_no_sign_out_until_the_end(client, session):
    act, staff, [person] = await _signed_in(client, session, credit=120, hours=2)
    clock.travel(timedelta(hours=3))
    closed = (await client.post(f"{ACTS}/{act['id']}/close", headers=auth(staff))).json()
    assert closed["credited"] == 1
    assert await _earned(session, person) == 120


async def test_close_gives_a_no_sign_out_the_alliance_default(client, session):
    act, staff, [person] = await _signed_in(
        client, session, credit=120, hours=2, policy={"no_signout_minutes": 30}
    )
    clock.travel(timedelta(hours=3))
    await client.post(f"{ACTS}/{act['id']}/close", headers=auth(staff))
    assert await _earned(session, person) == 30


async def test_an_early_close_counts_the_no_sign_out_until_the_close(client, session):
    act, staff, [person] = await _signed_in(client, session, credit=120, hours=2)
    clock.travel(timedelta(minutes=50))
    await client.post(f"{ACTS}/{act['id']}/close", headers=auth(staff))
    assert await _earned(session, person) == 60  # 50 minutes, rounded half-up


async def test_credit_above_the_alliance_ceiling_needs_the_alliance_admin(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    admin = await make_user(session, role=(tree.alliance, "admin"))
    start = clock.now() + timedelta(days=1)
    body = {
        "org_id": tree.compound.id,
        "title": "全天义诊",
        "kind": "志愿服务",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=8)).isoformat(),
        "capacity": 10,
        "credit_minutes": 480,
    }
    resp = await client.post(ACTS, json=body, headers=auth(staff))
    assert resp.status_code == 403
    assert resp.json()["code"] == "credit_above_ceiling"
    assert "4小时" in resp.json()["detail"]
    assert (await client.post(ACTS, json=body, headers=auth(admin))).status_code == 201


async def test_the_wish_page_shows_reported_and_credited_time_as_hours(client, session):
    url, staff, volunteer, _ = await _confirmed_wish(client, session, reported=75)
    await client.post(f"{url}/verify", json={"credit_minutes": 75}, headers=auth(staff))
    page = (await client.get(url.replace("/api/v1", ""), headers=auth(volunteer))).text
    assert "（用时 1小时15分）" in page
    assert "记入时间银行 1小时30分" in page


async def test_the_activity_says_whether_it_counts_as_service(client, session):
    lesson, _, [person] = await _signed_in(client, session, kind="党课")
    service, _, _ = await _signed_in(client, session, kind="志愿服务", credit=60)
    assert (await client.get(f"{ACTS}/{lesson['id']}", headers=auth(person))).json()["service"] is False
    assert (await client.get(f"{ACTS}/{service['id']}", headers=auth(person))).json()["service"] is True
    page = (await client.get(f"/activities/{lesson['id']}", headers=auth(person))).text
    assert "记出勤，不计志愿服务时长" in page
    page = (await client.get(f"/activities/{service['id']}", headers=auth(person))).text
    assert "按签到至签退的在场时长记入，最多 1小时" in page
