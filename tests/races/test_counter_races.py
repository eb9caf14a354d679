"""Counters under races on real connections: every decrement is conditional, and a CHECK keeps them >= 0."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from app import clock
from app.models.stations import DutyShift, ShiftSignup, Station
from tests.factories import auth, make_tree, make_user


async def _shift(live, *, capacity: int) -> int:
    async with live.db.session() as s:
        tree = await make_tree(s)
        station = Station(org_id=tree.compound.id, name="驿站", lat=34.28, lng=119.23)
        s.add(station)
        await s.flush()
        start = clock.now() + timedelta(hours=1)
        shift = DutyShift(
            station_id=station.id, starts_at=start, ends_at=start + timedelta(hours=2), capacity=capacity
        )
        s.add(shift)
        await s.commit()
        return shift.id


async def _state(live, shift_id: int) -> tuple[int, int]:
    async with live.db.session(write=False) as s:
        signed_up = (await s.exec(select(DutyShift.signed_up).where(DutyShift.id == shift_id))).one()
        rows = (
            await s.exec(
                select(func.count()).select_from(ShiftSignup).where(ShiftSignup.shift_id == shift_id)
            )
        ).one()
        return signed_up, rows


async def test_five_concurrent_cancels_of_one_signup_give_back_one_place(live):
    shift_id = await _shift(live, capacity=2)
    async with live.db.session() as s:
        person = await make_user(s)
        others = [await make_user(s) for _ in range(8)]
    async with live.client() as c:
        assert (await c.post(f"/api/v1/shifts/{shift_id}/signup", headers=auth(person))).status_code == 200
        cancels = await asyncio.gather(
            *[c.delete(f"/api/v1/shifts/{shift_id}/signup", headers=auth(person)) for _ in range(5)]
        )
        assert sorted(r.status_code for r in cancels) == [204] + [404] * 4
        assert {r.json()["code"] for r in cancels if r.status_code == 404} == {"shift_signup_not_found"}
        assert await _state(live, shift_id) == (0, 0)
        signups = await asyncio.gather(
            *[c.post(f"/api/v1/shifts/{shift_id}/signup", headers=auth(p)) for p in others]
        )
    assert sorted(r.status_code for r in signups) == [200] * 2 + [409] * 6  # capacity 2 still holds
    assert await _state(live, shift_id) == (2, 2)


@pytest.mark.parametrize(
    ("table", "column"),
    [(DutyShift, DutyShift.signed_up)],
)
async def test_the_database_refuses_a_negative_counter(live, table, column):
    shift_id = await _shift(live, capacity=2)
    async with live.db.session() as s:
        with pytest.raises(IntegrityError):
            await s.exec(update(table).where(table.id == shift_id).values({column: -1}))
