"""Undoing an activity's close within 10 minutes (issue 14, item 3): the close's credits are reversed
by new ledger txns, its no-show marks removed, the activity open again; a later close credits once more
under its own reference, and `ejia reconcile` still proves the books."""

from datetime import timedelta

from sqlmodel import select

from app import clock
from app.models.activities import Activity, ActivitySignup, Attendance
from app.models.audit import AuditLog
from app.models.timebank import LedgerAccount, LedgerTxn, TxnKind
from app.services import ledger, qr
from app.services.activities import CLOSE_UNDO_WINDOW
from app.services.reconcile import reconcile
from tests.factories import auth, make_tree, make_user

API = "/api/v1/activities"


async def _activity(session, tree, creator, *, minutes=60, signup_required=True):
    start = clock.now() + timedelta(minutes=5)
    act = Activity(
        org_id=tree.compound.id,
        title="清理楼道",
        kind="志愿服务",
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        capacity=10,
        credit_minutes=minutes,
        signup_required=signup_required,
        created_by_id=creator.id,
    )
    session.add(act)
    await session.commit()
    return act


async def _account(session, user) -> LedgerAccount | None:
    account = (await session.exec(select(LedgerAccount).where(LedgerAccount.user_id == user.id))).first()
    if account is not None:
        await session.refresh(account)
    return account


async def _balance(session, user) -> tuple[int, int]:
    """(balance, earned) in minutes."""
    account = await _account(session, user)
    return (account.balance_minutes, account.earned_minutes) if account else (0, 0)


async def _scan(client, act, person, *, out=False):
    token = qr.live_token("a", act.id, at=clock.now())[0]
    if out:
        resp = await client.post(f"{API}/{act.id}/signout", json={"token": token}, headers=auth(person))
    else:
        resp = await client.post("/api/v1/checkins", json={"token": token}, headers=auth(person))
    assert resp.status_code == 200, resp.text


async def _scene(client, session):
    """An activity run its course: `came` signed in and never out (credited by the close), `left`
    signed out early (credited at sign-out, not by the close), `absent` signed up and never came."""
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    came, left, absent = [await make_user(session, home=tree.compound) for _ in range(3)]
    act = await _activity(session, tree, staff)
    for person in (came, left, absent):
        assert (await client.post(f"{API}/{act.id}/signup", headers=auth(person))).status_code == 200
    clock.travel(timedelta(minutes=5))
    await _scan(client, act, came)
    await _scan(client, act, left)
    clock.travel(timedelta(minutes=30))
    await _scan(client, act, left, out=True)
    clock.travel(timedelta(hours=1))
    closed = await client.post(f"{API}/{act.id}/close", headers=auth(staff))
    assert (closed.status_code, closed.json()["credited"], closed.json()["no_shows"]) == (200, 1, 1)
    return tree, staff, act, came, left, absent


async def _books_prove(session):
    result = await reconcile(session)
    assert result.problems == []
    assert (await ledger.verify(session)).ok


async def test_undo_within_the_window_reverses_the_close_and_reopens_the_activity(client, session):
    tree, staff, act, came, left, absent = await _scene(client, session)
    assert await _balance(session, came) == (60, 60)
    assert await _balance(session, left) == (30, 30)
    clock.travel(timedelta(minutes=9))
    resp = await client.post(f"{API}/{act.id}/close/undo", headers=auth(staff))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["id"], body["closed"], body["closed_at"], body["undo_close_until"]) == (
        act.id,
        False,
        None,
        None,
    )
    # the close's credit is taken back by a reversal; the sign-out's credit stays
    assert await _balance(session, came) == (0, 0)
    assert await _balance(session, left) == (30, 30)
    attendance = (await session.exec(select(Attendance).where(Attendance.user_id == came.id))).one()
    await session.refresh(attendance)
    assert (attendance.credited_minutes, attendance.credited_at, attendance.credited_by_close) == (
        None,
        None,
        False,
    )
    signup = (await session.exec(select(ActivitySignup).where(ActivitySignup.user_id == absent.id))).one()
    await session.refresh(signup)
    assert signup.no_show is False
    earn = await ledger.find_by_ref(session, ref_type="activity", ref_id=act.id, user_id=came.id)
    assert earn is not None and earn.kind == TxnKind.earn  # the mistake stays on the books...
    reversal = (await session.exec(select(LedgerTxn).where(LedgerTxn.ref_type == "reversal"))).all()
    assert [(t.kind, t.ref_id) for t in reversal] == [(TxnKind.reversal, earn.id)]  # ...undone by a new txn
    log = (await session.exec(select(AuditLog).where(AuditLog.action == "activity.close_undo"))).one()
    assert (log.actor_id, log.object_id, log.detail["reversed"]) == (staff.id, act.id, 1)
    await _books_prove(session)


async def test_a_close_after_an_undo_credits_once_under_its_own_reference(client, session):
    tree, staff, act, came, left, absent = await _scene(client, session)
    assert (await client.post(f"{API}/{act.id}/close/undo", headers=auth(staff))).status_code == 200
    again = await client.post(f"{API}/{act.id}/close", headers=auth(staff))
    assert (again.status_code, again.json()["credited"], again.json()["no_shows"]) == (200, 1, 1)
    assert (await client.post(f"{API}/{act.id}/close", headers=auth(staff))).json()["credited"] == 0
    assert await _balance(session, came) == (60, 60)
    assert await _balance(session, left) == (30, 30)
    credits = (
        await session.exec(
            select(LedgerTxn.ref_type).where(LedgerTxn.ref_user_id == came.id).order_by(LedgerTxn.id)
        )
    ).all()
    assert credits == ["activity", "activity:1"]
    await _books_prove(session)
    # the year's earned minutes count the reversed credit as never earned
    years = (await client.get("/api/v1/timebank/me/years", headers=auth(came))).json()
    assert [(y["earned_minutes"], y["spent_minutes"]) for y in years] == [(60, 0)]
    org_years = (
        await client.get(f"/api/v1/timebank/orgs/{tree.community.id}/years", headers=auth(staff))
    ).json()
    assert [(y["earned_minutes"], y["people"]) for y in org_years] == [(90, 2)]
    # and once more: close → undo → close → undo → close
    assert (await client.post(f"{API}/{act.id}/close/undo", headers=auth(staff))).status_code == 200
    assert await _balance(session, came) == (0, 0)
    await _books_prove(session)
    third = await client.post(f"{API}/{act.id}/close", headers=auth(staff))
    assert third.json()["credited"] == 1
    assert await _balance(session, came) == (60, 60)
    assert await _balance(session, left) == (30, 30)
    await _books_prove(session)


async def test_a_sign_out_between_the_undo_and_the_next_close_credits_once(client, session):
    tree, staff, act, came, left, absent = await _scene(client, session)
    # closed early by mistake: the activity is still running
    assert (await client.post(f"{API}/{act.id}/close/undo", headers=auth(staff))).status_code == 200
    await session.refresh(act)
    clock.travel(act.ends_at - clock.now() - timedelta(minutes=1))
    await _scan(client, act, came, out=True)
    assert await _balance(session, came) == (60, 60)
    await _books_prove(session)
    assert (await client.post(f"{API}/{act.id}/close", headers=auth(staff))).json()["credited"] == 0
    assert await _balance(session, came) == (60, 60)
    await _books_prove(session)


async def test_the_undo_window_closes_after_ten_minutes(client, session):
    assert timedelta(minutes=10) == CLOSE_UNDO_WINDOW
    tree, staff, act, came, left, absent = await _scene(client, session)
    detail = (await client.get(f"{API}/{act.id}", headers=auth(staff))).json()
    await session.refresh(act)
    assert detail["undo_close_until"] is not None
    clock.travel(CLOSE_UNDO_WINDOW + timedelta(seconds=1))
    assert (await client.get(f"{API}/{act.id}", headers=auth(staff))).json()["undo_close_until"] is None
    resp = await client.post(f"{API}/{act.id}/close/undo", headers=auth(staff))
    assert (resp.status_code, resp.json()["code"]) == (409, "undo_window_passed")
    assert "10 分钟" in resp.json()["detail"]
    await session.refresh(act)
    assert act.closed_at is not None
    assert await _balance(session, came) == (60, 60)


async def test_only_the_activitys_organisers_may_undo_its_close(client, session):
    tree, staff, act, came, left, absent = await _scene(client, session)
    other = await make_user(session, role=(tree.other_community, "staff"))
    for person in (came, other):
        resp = await client.post(f"{API}/{act.id}/close/undo", headers=auth(person))
        assert (resp.status_code, resp.json()["code"]) == (403, "forbidden")
    colleague = await make_user(session, role=(tree.compound, "staff"))  # organises it too
    resp = await client.post(f"{API}/{act.id}/close/undo", headers=auth(colleague))
    assert resp.status_code == 200, resp.text
    assert await _balance(session, came) == (0, 0)


async def test_undoing_an_open_activity_or_twice_is_409(client, session):
    tree, staff, act, came, left, absent = await _scene(client, session)
    assert (await client.post(f"{API}/{act.id}/close/undo", headers=auth(staff))).status_code == 200
    resp = await client.post(f"{API}/{act.id}/close/undo", headers=auth(staff))
    assert (resp.status_code, resp.json()["code"]) == (409, "activity_not_closed")
    reversals = (await session.exec(select(LedgerTxn).where(LedgerTxn.kind == TxnKind.reversal))).all()
    assert len(reversals) == 1


async def test_an_undo_is_refused_once_an_attendee_spent_the_minutes(client, session):
    tree, staff, act, came, left, absent = await _scene(client, session)
    giver = await ledger.person_account(session, user_id=came.id)
    taker = await ledger.person_account(session, user_id=left.id)
    await ledger.post(
        session, kind=TxnKind.transfer, legs=[(giver, -60), (taker, 60)], memo="转赠", actor_id=came.id
    )
    await session.commit()
    resp = await client.post(f"{API}/{act.id}/close/undo", headers=auth(staff))
    assert (resp.status_code, resp.json()["code"]) == (409, "credit_already_spent")
    await session.refresh(act)
    assert act.closed_at is not None and act.close_round == 0
    assert (await session.exec(select(LedgerTxn).where(LedgerTxn.kind == TxnKind.reversal))).first() is None
    await _books_prove(session)


async def test_the_activity_page_offers_the_undo_only_inside_the_window(client, session):
    tree, staff, act, came, left, absent = await _scene(client, session)
    page = await client.get(f"/activities/{act.id}", headers=auth(staff))
    assert "撤销结束（10分钟内）" in page.text and "data-undo-until=" in page.text
    assert "撤销结束" not in (await client.get(f"/activities/{act.id}", headers=auth(came))).text
    clock.travel(CLOSE_UNDO_WINDOW)
    assert "撤销结束" not in (await client.get(f"/activities/{act.id}", headers=auth(staff))).text
