"""Staff cannot mint their own minutes from an activity (issue 10, items 3 and 4; issue 14, item 3).

An organiser's own attendance is credited only when another organiser closes the activity; signing
oneself out needs the minimum stay inside the window; an activity cannot be closed before it starts;
its screen shows no code before sign-in opens.
"""

from datetime import timedelta

from sqlmodel import select

from app import clock
from app.models.activities import Attendance
from app.models.timebank import LedgerAccount
from app.services import qr
from tests.factories import auth, make_activity, make_tree, make_user

API = "/api/v1/activities"


async def _activity(session, tree, creator, *, minutes=60, starts_in=timedelta(minutes=5), org=None):
    return await make_activity(
        session,
        org=org or tree.compound,
        title="清理楼道",
        starts_in=starts_in,
        length=timedelta(minutes=minutes),
        capacity=10,
        credit_minutes=minutes,
        signup_required=False,
        created_by_id=creator.id,
    )


async def _balance(session, user) -> int:
    account = (await session.exec(select(LedgerAccount).where(LedgerAccount.user_id == user.id))).first()
    if account is None:
        return 0
    await session.refresh(account)
    return account.balance_minutes


async def _sign_in(client, act, person):
    token = qr.live_token("a", act.id, at=clock.now())[0]
    resp = await client.post("/api/v1/checkins", json={"token": token}, headers=auth(person))
    assert resp.status_code == 200, resp.text


async def test_an_organiser_who_closes_their_own_activity_earns_nothing_from_it(client, session):
    tree = await make_tree(session)
    grid = await make_user(session, role=(tree.grid, "staff"))
    act = await _activity(session, tree, grid, org=tree.grid)
    clock.travel(timedelta(minutes=5))
    await _sign_in(client, act, grid)
    clock.travel(timedelta(hours=2))
    closed = await client.post(f"{API}/{act.id}/close", headers=auth(grid))
    assert closed.status_code == 200, closed.text
    assert closed.json()["credited"] == 0
    assert await _balance(session, grid) == 0


async def test_another_organiser_closing_credits_the_organisers_attendance(client, session):
    tree = await make_tree(session)
    grid = await make_user(session, role=(tree.grid, "staff"))
    other = await make_user(session, role=(tree.community, "staff"))
    volunteer = await make_user(session, home=tree.compound)
    act = await _activity(session, tree, grid, org=tree.grid)
    clock.travel(timedelta(minutes=5))
    await _sign_in(client, act, grid)
    await _sign_in(client, act, volunteer)
    clock.travel(timedelta(minutes=20))
    live = qr.live_token("a", act.id, at=clock.now())[0]
    out = await client.post(f"{API}/{act.id}/signout", json={"token": live}, headers=auth(grid))
    assert out.status_code == 200, out.text
    assert out.json()["credited_minutes"] is None  # not at their own sign-out
    clock.travel(timedelta(hours=2))
    closed = await client.post(f"{API}/{act.id}/close", headers=auth(other))
    assert closed.json()["credited"] == 2
    assert await _balance(session, grid) == 30  # 20 minutes stayed, rounded to the alliance's half hour
    assert await _balance(session, volunteer) == 60


async def test_signing_in_early_and_out_at_once_earns_nothing(client, session):
    # Sign-out stays open (someone who must leave early says so; refusing would credit them to the
    # end at the close), but only the stay inside the window, from the minimum up, earns.
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    volunteer = await make_user(session, home=tree.compound)
    act = await _activity(session, tree, staff, starts_in=timedelta(minutes=25))
    await _sign_in(client, act, volunteer)  # 25 minutes before the start
    live = qr.live_token("a", act.id, at=clock.now())[0]
    out = await client.post(f"{API}/{act.id}/signout", json={"token": live}, headers=auth(volunteer))
    assert (out.status_code, out.json()["credited_minutes"]) == (200, 0)
    clock.travel(timedelta(hours=2))
    await client.post(f"{API}/{act.id}/close", headers=auth(staff))
    assert await _balance(session, volunteer) == 0


async def test_an_activity_cannot_be_closed_before_it_starts(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    act = await _activity(session, tree, staff, starts_in=timedelta(days=1))
    resp = await client.post(f"{API}/{act.id}/close", headers=auth(staff))
    assert (resp.status_code, resp.json()["code"]) == (409, "activity_not_started")
    await session.refresh(act)
    assert act.closed_at is None
    assert (await session.exec(select(Attendance))).first() is None


async def test_the_screen_shows_when_sign_in_opens_instead_of_a_code(client, session):
    tree = await make_tree(session)
    staff = await make_user(session, role=(tree.community, "staff"))
    act = await _activity(session, tree, staff, starts_in=timedelta(hours=2))
    screen = await client.get(f"/activities/{act.id}/screen", headers=auth(staff))
    assert screen.status_code == 200
    assert "签到将于" in screen.text and "<svg" not in screen.text
    clock.travel(timedelta(hours=1, minutes=31))
    live = (await client.get(f"/activities/{act.id}/screen/live", headers=auth(staff))).json()
    assert live["waiting"] == "" and live["svg"].startswith("<svg")
