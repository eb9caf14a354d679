"""Races over real connections: sign-ups against capacity, a burst of check-ins, replayed scans, concurrent close."""

import asyncio
import time
from datetime import timedelta

from sqlmodel import func, select

from app import clock
from app.models.activities import Activity, ActivitySignup, Attendance, SignupStatus
from app.models.stations import Checkin, DutyShift, ShiftSignup, Station
from app.models.user import User
from app.services import qr
from tests.factories import auth, make_activity, make_tree, make_user, next_phone

BATCH = 50  # requests in flight at once: enough to collide, bounded for a shared 2-core machine


async def _people(live, n: int) -> list[User]:
    async with live.db.session() as s:
        people = [User(name=f"居民{i}", phone=next_phone()) for i in range(n)]
        s.add_all(people)
        await s.commit()
        return people


async def _bounded(calls):
    """Run the request factories with at most BATCH in flight; the responses in order."""
    gate = asyncio.Semaphore(BATCH)

    async def one(call):
        async with gate:
            return await call()

    return await asyncio.gather(*(one(c) for c in calls))


async def _activity(live, *, capacity: int, credit_minutes: int = 0, signup_required: bool = True):
    async with live.db.session() as s:
        tree = await make_tree(s)
        staff = await make_user(s, role=(tree.community, "staff"))
        activity = await make_activity(
            s,
            org=tree.compound,
            capacity=capacity,
            credit_minutes=credit_minutes,
            signup_required=signup_required,
            created_by_id=staff.id,
        )
        return tree, staff, activity


async def test_100_concurrent_signups_for_10_places_let_exactly_10_in(live):
    _, _, activity = await _activity(live, capacity=10)
    people = await _people(live, 100)
    async with live.client() as c:
        responses = await _bounded(
            [
                (lambda p=p: c.post(f"/api/v1/activities/{activity.id}/signup", headers=auth(p)))
                for p in people
            ]
        )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 10 + [409] * 90
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"activity_full"}
    async with live.db.session() as s:
        signed = (
            await s.exec(
                select(func.count())
                .select_from(ActivitySignup)
                .where(ActivitySignup.status == SignupStatus.signed_up)
            )
        ).one()
        assert signed == 10
        assert (await s.get(Activity, activity.id)).signed_up == 10


async def test_100_concurrent_shift_signups_for_10_places_let_exactly_10_in(live):
    async with live.db.session() as s:
        tree = await make_tree(s)
        station = Station(org_id=tree.compound.id, name="驿站", lat=34.28, lng=119.23)
        s.add(station)
        await s.flush()
        start = clock.now() + timedelta(hours=1)
        shift = DutyShift(
            station_id=station.id, starts_at=start, ends_at=start + timedelta(hours=2), capacity=10
        )
        s.add(shift)
        await s.commit()
    people = await _people(live, 100)
    async with live.client() as c:
        responses = await _bounded(
            [(lambda p=p: c.post(f"/api/v1/shifts/{shift.id}/signup", headers=auth(p))) for p in people]
        )
    assert sorted(r.status_code for r in responses) == [200] * 10 + [409] * 90
    async with live.db.session() as s:
        assert (await s.exec(select(func.count()).select_from(ShiftSignup))).one() == 10
        assert (await s.get(DutyShift, shift.id)).signed_up == 10


async def test_burst_of_300_checkins_from_300_people_makes_300_rows(live):
    async with live.db.session() as s:
        org = (await make_tree(s)).compound
        station = Station(org_id=org.id, name="驿站", lat=34.28, lng=119.23)
        s.add(station)
        await s.commit()
    people = await _people(live, 300)
    token = qr.live_token("s", station.id, at=clock.now())[0]
    began = time.monotonic()
    async with live.client() as c:
        responses = await _bounded(
            [(lambda p=p: c.post("/api/v1/checkins", json={"token": token}, headers=auth(p))) for p in people]
        )
    elapsed = time.monotonic() - began
    assert [r.status_code for r in responses] == [200] * 300
    assert {r.json()["duplicate"] for r in responses} == {False}
    async with live.db.session() as s:
        rows = (await s.exec(select(Checkin.user_id))).all()
    assert len(rows) == 300
    assert len(set(rows)) == 300
    assert elapsed < 45


async def test_same_person_scanning_20_times_at_once_makes_one_row(live):
    async with live.db.session() as s:
        org = (await make_tree(s)).compound
        station = Station(org_id=org.id, name="驿站", lat=34.28, lng=119.23)
        s.add(station)
        await s.commit()
        person = await make_user(s)
    token = qr.live_token("s", station.id, at=clock.now())[0]
    async with live.client() as c:
        responses = await _bounded(
            [
                (lambda: c.post("/api/v1/checkins", json={"token": token}, headers=auth(person)))
                for _ in range(20)
            ]
        )
    assert [r.status_code for r in responses] == [200] * 20
    assert len({r.json()["id"] for r in responses}) == 1
    assert sorted(r.json()["duplicate"] for r in responses) == [False] + [True] * 19
    async with live.db.session() as s:
        assert (await s.exec(select(func.count()).select_from(Checkin))).one() == 1


async def test_cancellations_racing_signups_never_exceed_capacity(live):
    _, _, activity = await _activity(live, capacity=5)
    holders = await _people(live, 5)
    waiters = await _people(live, 20)
    async with live.client() as c:
        for p in holders:
            assert (
                await c.post(f"/api/v1/activities/{activity.id}/signup", headers=auth(p))
            ).status_code == 200
        calls = [
            (lambda p=p: c.delete(f"/api/v1/activities/{activity.id}/signup", headers=auth(p)))
            for p in holders
        ]
        calls += [
            (lambda p=p: c.post(f"/api/v1/activities/{activity.id}/signup?wait=true", headers=auth(p)))
            for p in waiters
        ]
        responses = await _bounded(calls)
    assert {r.status_code for r in responses} == {200}
    async with live.db.session() as s:
        signed = (
            await s.exec(
                select(func.count())
                .select_from(ActivitySignup)
                .where(
                    ActivitySignup.activity_id == activity.id, ActivitySignup.status == SignupStatus.signed_up
                )
            )
        ).one()
        waiting = (
            await s.exec(
                select(func.count())
                .select_from(ActivitySignup)
                .where(
                    ActivitySignup.activity_id == activity.id, ActivitySignup.status == SignupStatus.waiting
                )
            )
        ).one()
        assert (signed, waiting) == (5, 15)
        assert (await s.get(Activity, activity.id)).signed_up == 5


async def test_close_called_10_times_at_once_credits_each_attendee_once(live):
    from app.models.timebank import LedgerTxn

    tree, staff, activity = await _activity(live, capacity=20, credit_minutes=60, signup_required=False)
    people = await _people(live, 8)
    token = qr.live_token("a", activity.id, at=clock.now())[0]
    async with live.client() as c:
        for p in people:
            assert (
                await c.post("/api/v1/checkins", json={"token": token}, headers=auth(p))
            ).status_code == 200
        # Credit follows attendance (issue 11): close once the activity has run its course.
        clock.travel(timedelta(hours=3))
        responses = await _bounded(
            [
                (lambda: c.post(f"/api/v1/activities/{activity.id}/close", headers=auth(staff)))
                for _ in range(10)
            ]
        )
    assert [r.status_code for r in responses] == [200] * 10
    assert sorted(r.json()["credited"] for r in responses) == [0] * 9 + [8]
    async with live.db.session() as s:
        txns = (
            await s.exec(
                select(LedgerTxn.ref_user_id).where(
                    LedgerTxn.ref_type == "activity", LedgerTxn.ref_id == activity.id
                )
            )
        ).all()
        assert sorted(txns) == sorted(p.id for p in people)
        credited = (await s.exec(select(func.sum(Attendance.credited_minutes)))).one()
        assert credited == 8 * 60
