"""Duty shifts at red stations (轮流坐班): the roster, sign-ups within capacity, duty by scan, crediting."""

from datetime import datetime, timedelta

from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.errors import Conflict, InvalidState, NotFound
from app.models.org import Org
from app.models.stations import (
    DutyShift,
    ShiftClosed,
    ShiftCreate,
    ShiftPublic,
    ShiftSignup,
    ShiftSignupPublic,
    Station,
    StationStats,
)
from app.models.user import User
from app.permissions import in_subtree
from app.services import audit
from app.services import credit as credit_rule
from app.services import stations as stations_service

# A duty may be started by scan from this long before the shift and ended until this long after it.
EARLY_START = timedelta(minutes=30)
LATE_END = timedelta(hours=2)
# A second scan this soon after starting is a double scan, not the end of the duty.
MIN_DUTY = timedelta(minutes=2)

credit = credit_rule.post  # the name activities and the demo import; goes once they call credit_rule


def served_minutes(shift: DutyShift, started_at: datetime, ended_at: datetime) -> int:
    """Minutes on duty within the shift's own span (before the crediting rule rounds them)."""
    start = max(started_at, shift.starts_at)
    end = min(ended_at, shift.ends_at)
    return max(0, int((end - start).total_seconds() // 60))


def shift_length(shift: DutyShift) -> int:
    return int((shift.ends_at - shift.starts_at).total_seconds() // 60)


def _public(shift: DutyShift, *, mine: bool = False) -> ShiftPublic:
    return ShiftPublic(
        id=shift.id,
        station_id=shift.station_id,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        capacity=shift.capacity,
        signed_up=shift.signed_up,
        closed=shift.closed_at is not None,
        mine=mine,
    )


def _signup_public(row: ShiftSignup) -> ShiftSignupPublic:
    return ShiftSignupPublic(
        id=row.id,
        shift_id=row.shift_id,
        user_id=row.user_id,
        started_at=row.started_at,
        ended_at=row.ended_at,
        served_minutes=row.served_minutes,
        no_show=row.no_show,
    )


async def _get_shift(session: AsyncSession, shift_id: int) -> DutyShift:
    shift = await session.get(DutyShift, shift_id)
    if shift is None:
        raise NotFound("值班班次不存在", code="shift_not_found")
    return shift


async def create_shift(
    session: AsyncSession, *, station_id: int, data: ShiftCreate, actor: User
) -> ShiftPublic:
    """Add a duty shift to a station's roster (staff over it, or its master/deputies)."""
    station = await stations_service.get_station(session, station_id=station_id)
    await stations_service.require_runner(session, station=station, user=actor)
    shift = DutyShift(
        station_id=station.id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        capacity=data.capacity,
        created_by_id=actor.id,
    )
    session.add(shift)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action="shift.create",
        object_type="shift",
        object_id=shift.id,
        org_id=station.org_id,
        detail={"station_id": station.id},
    )
    await session.commit()
    return _public(shift)


async def list_shifts(
    session: AsyncSession, *, station_id: int, viewer: User, upcoming: bool = True, limit: int = 50
) -> list[ShiftPublic]:
    """A station's shifts (upcoming and running by default), marking the viewer's own."""
    await stations_service.get_station(session, station_id=station_id, viewer=viewer)
    stmt = select(DutyShift).where(DutyShift.station_id == station_id)
    if upcoming:
        stmt = stmt.where(DutyShift.ends_at >= clock.now(), DutyShift.closed_at.is_(None))
    shifts = list((await session.exec(stmt.order_by(DutyShift.starts_at, DutyShift.id).limit(limit))).all())
    mine = set()
    if shifts:
        mine = set(
            (
                await session.exec(
                    select(ShiftSignup.shift_id).where(
                        ShiftSignup.user_id == viewer.id, ShiftSignup.shift_id.in_([s.id for s in shifts])
                    )
                )
            ).all()
        )
    return [_public(s, mine=s.id in mine) for s in shifts]


async def signup_shift(session: AsyncSession, *, shift_id: int, actor: User) -> ShiftSignupPublic:
    """Take a place on a shift; never over capacity, however many tap at once."""
    shift = await _get_shift(session, shift_id)
    await stations_service.get_station(
        session, station_id=shift.station_id, viewer=actor
    )  # 404 if not theirs
    if shift.closed_at is not None or shift.ends_at <= clock.now():
        raise InvalidState("该班次已结束", code="shift_closed")
    existing = (
        await session.exec(
            select(ShiftSignup).where(ShiftSignup.shift_id == shift.id, ShiftSignup.user_id == actor.id)
        )
    ).first()
    if existing:
        return _signup_public(existing)
    taken = await session.exec(
        update(DutyShift)
        .where(DutyShift.id == shift.id, DutyShift.signed_up < DutyShift.capacity)
        .values(signed_up=DutyShift.signed_up + 1)
    )
    if taken.rowcount != 1:
        raise Conflict("该班次已满员", code="shift_full")
    row = ShiftSignup(shift_id=shift.id, user_id=actor.id)
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:  # the same person's double tap: give the place back, keep the first sign-up
        await _give_back_place(session, shift_id=shift.id)
        row = (
            await session.exec(
                select(ShiftSignup).where(ShiftSignup.shift_id == shift.id, ShiftSignup.user_id == actor.id)
            )
        ).one()
    await session.commit()
    return _signup_public(row)


async def cancel_shift_signup(session: AsyncSession, *, shift_id: int, actor: User) -> None:
    """Give up one's place on a shift that has not started."""
    shift = await _get_shift(session, shift_id)
    row = (
        await session.exec(
            select(ShiftSignup).where(ShiftSignup.shift_id == shift.id, ShiftSignup.user_id == actor.id)
        )
    ).first()
    if row is None:
        raise NotFound("您没有报名该班次", code="shift_signup_not_found")
    if row.started_at is not None:
        raise InvalidState("已开始值班，不能取消", code="invalid_state")
    # Five taps on "cancel" must give back one place: only the statement that really removed the row
    # (rowcount 1) may decrement, and every concurrent loser is told there is nothing to cancel.
    removed = await session.exec(
        delete(ShiftSignup)
        .where(ShiftSignup.id == row.id, ShiftSignup.started_at.is_(None))
        .execution_options(synchronize_session=False)
    )
    if removed.rowcount != 1:
        raise NotFound("您没有报名该班次", code="shift_signup_not_found")
    await _give_back_place(session, shift_id=shift.id)
    await session.commit()


async def _give_back_place(session: AsyncSession, *, shift_id: int) -> None:
    """One place back on the shift; the counter never goes below zero (a CHECK backs this up)."""
    await session.exec(
        update(DutyShift)
        .where(DutyShift.id == shift_id, DutyShift.signed_up > 0)
        .values(signed_up=DutyShift.signed_up - 1)
        .execution_options(synchronize_session=False)
    )


async def active_signup(
    session: AsyncSession, *, station_id: int, user_id: int, at: datetime
) -> tuple[ShiftSignup, DutyShift] | None:
    """The user's sign-up on a shift at this station that a scan now would start or end."""
    stmt = (
        select(ShiftSignup, DutyShift)
        .join(DutyShift, DutyShift.id == ShiftSignup.shift_id)
        .where(
            DutyShift.station_id == station_id,
            ShiftSignup.user_id == user_id,
            DutyShift.closed_at.is_(None),
            ShiftSignup.ended_at.is_(None),
            DutyShift.starts_at <= at + EARLY_START,
            DutyShift.ends_at >= at - LATE_END,
        )
        .order_by(DutyShift.starts_at)
        .limit(1)
    )
    row = (await session.exec(stmt)).first()
    return (row[0], row[1]) if row else None


async def start_duty(session: AsyncSession, *, signup: ShiftSignup, at: datetime) -> bool:
    """Mark the duty started (flushes); False if it already was."""
    result = await session.exec(
        update(ShiftSignup)
        .where(ShiftSignup.id == signup.id, ShiftSignup.started_at.is_(None))
        .values(started_at=at)
    )
    return result.rowcount == 1


async def end_duty(
    session: AsyncSession,
    *,
    signup: ShiftSignup,
    shift: DutyShift,
    station: Station,
    at: datetime,
    actor_id: int | None,
) -> int | None:
    """End the duty and credit its minutes once, by the crediting rule (flushes); None if someone
    else ended it first. `served_minutes` keeps what was credited, so the roster and the ledger agree."""

    async def settle(minutes: int) -> bool:
        result = await session.exec(
            update(ShiftSignup)
            .where(
                ShiftSignup.id == signup.id, ShiftSignup.ended_at.is_(None), ShiftSignup.credited.is_(False)
            )
            .values(ended_at=at, served_minutes=minutes, credited=True, credited_at=clock.now())
        )
        return result.rowcount == 1

    return await credit_rule.award(
        session,
        org_id=station.org_id,
        user_id=signup.user_id,
        served=served_minutes(shift, signup.started_at, at),
        bound=shift_length(shift),
        ref_type="shift",
        ref_id=shift.id,
        memo=f"红色驿站值班：{station.name}",
        actor_id=actor_id,
        settle=settle,
    )


async def close_shift(session: AsyncSession, *, shift_id: int, actor: User) -> ShiftClosed:
    """Staff close a shift: unended duties end at the shift's end and are credited once; no-shows recorded."""
    shift = await _get_shift(session, shift_id)
    station = await stations_service.get_station(session, station_id=shift.station_id)
    await stations_service.require_runner(session, station=station, user=actor)
    credited, no_shows, won = await _settle(session, shift=shift, station=station, actor_id=actor.id)
    if won:
        await audit.record(
            session,
            actor_id=actor.id,
            action="shift.close",
            object_type="shift",
            object_id=shift.id,
            org_id=station.org_id,
            detail={"credited": credited, "no_shows": no_shows},
        )
    await session.commit()
    return ShiftClosed(shift_id=shift.id, credited=credited, no_shows=no_shows)


async def _settle(
    session: AsyncSession, *, shift: DutyShift, station: Station, actor_id: int | None
) -> tuple[int, int, bool]:
    """Close the shift once (conditional UPDATE): credit unended duties up to its end, mark no-shows."""
    now = clock.now()
    won = await session.exec(
        update(DutyShift).where(DutyShift.id == shift.id, DutyShift.closed_at.is_(None)).values(closed_at=now)
    )
    credited = no_shows = 0
    if won.rowcount != 1:
        return 0, 0, False
    rows = (
        await session.exec(
            select(ShiftSignup).where(ShiftSignup.shift_id == shift.id, ShiftSignup.ended_at.is_(None))
        )
    ).all()
    for row in rows:
        if row.started_at is None:
            await session.exec(update(ShiftSignup).where(ShiftSignup.id == row.id).values(no_show=True))
            no_shows += 1
        elif (
            await end_duty(
                session,
                signup=row,
                shift=shift,
                station=station,
                at=min(now, shift.ends_at),
                actor_id=actor_id,
            )
            is not None
        ):
            credited += 1
    return credited, no_shows, True


async def close_overdue_shifts(session: AsyncSession) -> int:
    """Timed job: shifts past their end (and the scan-out grace) close themselves; safe in several processes."""
    due = (
        await session.exec(
            select(DutyShift, Station)
            .join(Station, Station.id == DutyShift.station_id)
            .where(DutyShift.closed_at.is_(None), DutyShift.ends_at < clock.now() - LATE_END)
            .order_by(DutyShift.id)
            .limit(200)
        )
    ).all()
    closed = 0
    for shift, station in due:
        closed += (await _settle(session, shift=shift, station=station, actor_id=None))[2]
    await session.commit()
    return closed


async def station_duty_minutes(
    session: AsyncSession, *, station_id: int, start: datetime, end: datetime
) -> int:
    """Minutes served on duty at one station by shifts starting in [start, end)."""
    stmt = (
        select(func.coalesce(func.sum(ShiftSignup.served_minutes), 0))
        .join(DutyShift, DutyShift.id == ShiftSignup.shift_id)
        .where(DutyShift.station_id == station_id, DutyShift.starts_at >= start, DutyShift.starts_at < end)
    )
    return int((await session.exec(stmt)).one())


async def station_stats(
    session: AsyncSession, *, station_id: int, start: datetime | None, end: datetime | None, actor: User
) -> StationStats:
    """A station's visits per day (from stations) and duty minutes (from its shifts) over a period
    (default: the last 30 days)."""
    station = await stations_service.get_station(session, station_id=station_id)
    await stations_service.require_runner(session, station=station, user=actor)
    end = end or clock.now()
    start = start or end - timedelta(days=30)
    days = await stations_service.visits_per_day(session, station_id=station.id, start=start, end=end)
    minutes = await station_duty_minutes(session, station_id=station.id, start=start, end=end)
    return StationStats(
        station_id=station.id,
        visits=sum(d.visits for d in days),
        visits_per_day=days,
        duty_minutes=minutes,
        live_count=await stations_service.live_count(session, station_id=station.id),
    )


async def duty_minutes(session: AsyncSession, *, org_id: int, start: datetime, end: datetime) -> int:
    """Minutes served on duty at the stations of org_id's subtree, shifts starting in [start, end) — for stats."""
    org = await session.get(Org, org_id)
    if org is None:
        return 0
    stmt = (
        select(func.coalesce(func.sum(ShiftSignup.served_minutes), 0))
        .join(DutyShift, DutyShift.id == ShiftSignup.shift_id)
        .join(Station, Station.id == DutyShift.station_id)
        .where(
            in_subtree(Station.org_id, org.path),
            DutyShift.starts_at >= start,
            DutyShift.starts_at < end,
        )
    )
    return int((await session.exec(stmt)).one())


async def my_shifts(session: AsyncSession, *, user: User, limit: int = 20) -> list[ShiftPublic]:
    """The user's upcoming and running shifts."""
    stmt = (
        select(DutyShift)
        .join(ShiftSignup, ShiftSignup.shift_id == DutyShift.id)
        .where(
            ShiftSignup.user_id == user.id, DutyShift.ends_at >= clock.now(), DutyShift.closed_at.is_(None)
        )
        .order_by(DutyShift.starts_at)
        .limit(limit)
    )
    return [_public(s, mine=True) for s in (await session.exec(stmt)).all()]
