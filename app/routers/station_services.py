"""A red station's service log: what the station gave and how often (station master, deputies, staff)."""

from datetime import date

from fastapi import APIRouter, Query

from app.deps import CurrentUser, SessionDep
from app.models.base import Id
from app.models.station_services import StationServiceCreate, StationServicePublic, StationServiceTotal
from app.pagination import Page, PageDep
from app.services import station_services

router = APIRouter(prefix="/stations", tags=["stations"])


@router.post("/{station_id}/services", response_model=StationServicePublic, status_code=201)
async def record_service(station_id: Id, body: StationServiceCreate, session: SessionDep, user: CurrentUser):
    """Log services given at the station (`kind`, `count`, optional `note` and the person's phone)."""
    return await station_services.record(session, station_id=station_id, data=body, actor=user)


@router.get("/{station_id}/services", response_model=Page[StationServicePublic])
async def list_services(station_id: Id, session: SessionDep, user: CurrentUser, page: PageDep):
    """The station's service log, newest first."""
    items, cursor = await station_services.list_services(
        session, station_id=station_id, actor=user, params=page
    )
    return Page(items=items, next_cursor=cursor)


@router.get("/{station_id}/services/totals", response_model=list[StationServiceTotal])
async def service_totals(
    station_id: Id,
    session: SessionDep,
    user: CurrentUser,
    from_: date | None = Query(None, alias="from"),
    to: date | None = None,
):
    """Services given at the station per kind, over `from`–`to` if given."""
    return await station_services.station_totals(
        session, station_id=station_id, actor=user, first=from_, last=to
    )
