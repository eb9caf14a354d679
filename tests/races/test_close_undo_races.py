"""Races over real connections on undoing an activity's close (issue 14, item 3): undos at once,
an undo against closes, an undo against sign-outs. Every effect happens once and the books prove."""

import asyncio
from datetime import timedelta

from sqlmodel import func, select

from app import clock
from app.models.activities import Activity, Attendance
from app.models.timebank import LedgerAccount, LedgerTxn, TxnKind
from app.services import ledger, qr
from app.services.reconcile import reconcile
from tests.factories import auth
from tests.races.test_checkin_races import _activity, _people

API = "/api/v1/activities"


async def _signed_in(live, c, n: int):
    tree, staff, activity = await _activity(live, capacity=20, credit_minutes=60, signup_required=False)
    people = await _people(live, n)
    token = qr.live_token("a", activity.id, at=clock.now())[0]
    for p in people:
        assert (await c.post("/api/v1/checkins", json={"token": token}, headers=auth(p))).status_code == 200
    return staff, activity, people


async def _books(live, people) -> dict[int, int]:
    """Each person's balance, after checking it equals what their attendance says was credited, and
    that the ledger verifies and reconciles."""
    async with live.db.session() as s:
        balances = {
            a.user_id: a.balance_minutes
            for a in (
                await s.exec(select(LedgerAccount).where(LedgerAccount.user_id.in_([p.id for p in people])))
            ).all()
        }
        credited = {
            a.user_id: a.credited_minutes or 0
            for a in (
                await s.exec(select(Attendance).where(Attendance.user_id.in_([p.id for p in people])))
            ).all()
        }
        assert {p.id: balances.get(p.id, 0) for p in people} == {p.id: credited.get(p.id, 0) for p in people}
        assert (await reconcile(s)).problems == []
        assert (await ledger.verify(s)).ok
        return {p.id: balances.get(p.id, 0) for p in people}


async def test_ten_undos_at_once_reverse_the_close_once(live):
    async with live.client() as c:
        staff, activity, people = await _signed_in(live, c, 6)
        clock.travel(timedelta(hours=3))
        assert (await c.post(f"{API}/{activity.id}/close", headers=auth(staff))).json()["credited"] == 6
        responses = await asyncio.gather(
            *(c.post(f"{API}/{activity.id}/close/undo", headers=auth(staff)) for _ in range(10))
        )
    assert sorted(r.status_code for r in responses) == [200] + [409] * 9
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"activity_not_closed"}
    assert set((await _books(live, people)).values()) == {0}
    async with live.db.session() as s:
        reversals = (await s.exec(select(func.count()).where(LedgerTxn.kind == TxnKind.reversal))).one()
        assert reversals == 6
        assert (await s.get(Activity, activity.id)).close_round == 1


async def test_an_undo_racing_closes_leaves_one_close_credited_once(live):
    async with live.client() as c:
        staff, activity, people = await _signed_in(live, c, 6)
        clock.travel(timedelta(hours=3))
        assert (await c.post(f"{API}/{activity.id}/close", headers=auth(staff))).status_code == 200
        calls = [c.post(f"{API}/{activity.id}/close", headers=auth(staff)) for _ in range(4)]
        calls.insert(2, c.post(f"{API}/{activity.id}/close/undo", headers=auth(staff)))
        responses = await asyncio.gather(*calls)
        assert [r.status_code for r in responses] == [200] * 5
        credited = sorted(r.json()["credited"] for i, r in enumerate(responses) if i != 2)
        # the undo came before some close (which credits all six again) or after all of them
        assert credited in ([0, 0, 0, 0], [0, 0, 0, 6])
        balances = await _books(live, people)
        assert set(balances.values()) == ({60} if credited[-1] else {0})
        # whichever way it went, one more close leaves everyone credited exactly once
        await c.post(f"{API}/{activity.id}/close", headers=auth(staff))
    assert set((await _books(live, people)).values()) == {60}
    async with live.db.session() as s:
        live_credits = (
            await s.exec(
                select(func.count()).where(
                    LedgerTxn.kind == TxnKind.earn,
                    LedgerTxn.id.not_in(select(LedgerTxn.ref_id).where(LedgerTxn.ref_type == "reversal")),
                )
            )
        ).one()
        assert live_credits == 6


async def test_sign_outs_racing_an_undo_credit_each_person_once(live):
    async with live.client() as c:
        staff, activity, people = await _signed_in(live, c, 6)
        clock.travel(timedelta(minutes=65))  # an hour into the activity: closed early by mistake
        assert (await c.post(f"{API}/{activity.id}/close", headers=auth(staff))).json()["credited"] == 6
        token = qr.live_token("a", activity.id, at=clock.now())[0]
        calls = [
            c.post(f"{API}/{activity.id}/signout", json={"token": token}, headers=auth(p)) for p in people
        ]
        calls.insert(3, c.post(f"{API}/{activity.id}/close/undo", headers=auth(staff)))
        responses = await asyncio.gather(*calls)
        assert [r.status_code for r in responses] == [200] * 7
        await _books(live, people)  # a sign-out before the undo was reversed with the close; after it, kept
        await c.post(f"{API}/{activity.id}/close", headers=auth(staff))
    assert set((await _books(live, people)).values()) == {60}
