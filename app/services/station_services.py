"""A red station's service log (调解, 理发, 骑手歇脚, 政策咨询 …): recorded by its master, deputies or staff."""

from datetime import date

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.errors import ValidationFailed
from app.models.station_services import (
    StationService,
    StationServiceCreate,
    StationServicePublic,
    StationServiceTotal,
)
from app.models.user import User
from app.pagination import PageParams, paginate
from app.permissions import has_role_over, in_subtree
from app.services import audit, content, lookups
from app.services import stations as stations_service
from app.services import users as users_service


async def _to_public(
    session: AsyncSession, rows: list[StationService], *, full_phones: bool
) -> list[StationServicePublic]:
    people = await lookups.users_by_id(session, [r.user_id for r in rows])
    return [
        StationServicePublic(
            id=r.id,
            station_id=r.station_id,
            kind=r.kind,
            count=r.count,
            note=r.note,
            user=lookups.person_brief(people[r.user_id], show_phone=full_phones)
            if r.user_id in people
            else None,
            served_on=r.served_on,
            recorded_by_id=r.recorded_by_id,
            created_at=r.created_at,
        )
        for r in rows
    ]


async def record(
    session: AsyncSession, *, station_id: int, data: StationServiceCreate, actor: User
) -> StationServicePublic:
    """Log services given at the station, with a count and optionally the person served."""
    station = await stations_service.get_station(session, station_id=station_id)
    await stations_service.require_runner(session, station=station, user=actor)
    content.check_text(data.kind, data.note)
    today = clock.today()
    served_on = data.served_on or today
    if served_on > today:
        raise ValidationFailed("不能登记未来的服务", code="future_service")
    person = None
    if data.user_phone:
        person = await users_service.get_or_create_by_phone(session, phone=data.user_phone)
    row = StationService(
        station_id=station.id,
        org_id=station.org_id,
        kind=data.kind,
        count=data.count,
        note=data.note or None,
        user_id=person.id if person else None,
        served_on=served_on,
        recorded_by_id=actor.id,
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action="station.service",
        object_type="station",
        object_id=station.id,
        org_id=station.org_id,
        on_behalf_of_id=person.id if person else None,
        detail={"kind": data.kind, "count": data.count},
    )
    await session.commit()
    staff = await has_role_over(session, user_id=actor.id, org_id=station.org_id)
    return (await _to_public(session, [row], full_phones=staff))[0]


async def list_services(
    session: AsyncSession, *, station_id: int, actor: User, params: PageParams
) -> tuple[list[StationServicePublic], str | None]:
    """The station's log, newest first (its master, deputies and staff; phones in full for staff only)."""
    station = await stations_service.get_station(session, station_id=station_id)
    await stations_service.require_runner(session, station=station, user=actor)
    stmt = select(StationService).where(StationService.station_id == station.id)
    rows, cursor = await paginate(session, stmt, StationService.id, params)
    staff = await has_role_over(session, user_id=actor.id, org_id=station.org_id)
    return await _to_public(session, list(rows), full_phones=staff), cursor


async def station_totals(
    session: AsyncSession,
    *,
    station_id: int,
    actor: User,
    first: date | None = None,
    last: date | None = None,
) -> list[StationServiceTotal]:
    """Services given at the station per kind (its runners)."""
    station = await stations_service.get_station(session, station_id=station_id)
    await stations_service.require_runner(session, station=station, user=actor)
    return await totals(session, station_id=station.id, first=first, last=last)


async def totals(
    session: AsyncSession,
    *,
    station_id: int | None = None,
    org_path: str | None = None,
    first: date | None = None,
    last: date | None = None,
) -> list[StationServiceTotal]:
    """Services given per kind, at one station or in a subtree, over [first, last] if given."""
    stmt = select(StationService.kind, func.sum(StationService.count)).group_by(StationService.kind)
    if station_id is not None:
        stmt = stmt.where(StationService.station_id == station_id)
    if org_path is not None:
        stmt = stmt.where(in_subtree(StationService.org_id, org_path))
    if first is not None:
        stmt = stmt.where(StationService.served_on >= first)
    if last is not None:
        stmt = stmt.where(StationService.served_on <= last)
    rows = (await session.exec(stmt)).all()
    return sorted(
        (StationServiceTotal(kind=k, count=int(n or 0)) for k, n in rows), key=lambda t: (-t.count, t.kind)
    )


def served_in(*, org_path: str, first: date, last: date):
    """SQL: people served at the stations of a subtree over [first, last] (for the figures)."""
    return select(func.coalesce(func.sum(StationService.count), 0)).where(
        in_subtree(StationService.org_id, org_path),
        StationService.served_on >= first,
        StationService.served_on <= last,
    )
