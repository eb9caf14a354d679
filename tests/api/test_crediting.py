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
