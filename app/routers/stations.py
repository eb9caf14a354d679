"""Red courier stations (红色驿站), their live codes and duty shifts (轮流坐班)."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.deps import CurrentUser, SessionDep
from app.models.base import Id, Instant
from app.models.stations import (
    QrToken,
    ShiftClosed,
    ShiftCreate,
    ShiftPublic,
    ShiftSignupPublic,
    StationCreate,
    StationPublic,
    StationStats,
    StationUpdate,
)
from app.pagination import Page, PageDep
from app.routers.svg import SVG_RESPONSES, qr_svg
from app.services import shifts as shifts_service
from app.services import stations as stations_service

router = APIRouter(tags=["stations"])


@router.post("/stations", response_model=StationPublic, status_code=201)
async def create_station(body: StationCreate, session: SessionDep, user: CurrentUser):
    """Register a station under an org node you administer (lat/lng in GCJ-02, as Chinese maps use)."""
    return await stations_service.create_station(session, data=body, actor=user)


@router.get("/stations", response_model=Page[StationPublic])
async def list_stations(
    session: SessionDep, user: CurrentUser, page: PageDep, org_id: Id | None = None, near: str | None = None
):
    """Stations in org_id's subtree; `near=lat,lng` (GCJ-02) sorts nearest first and fills `distance_m`."""
    items, cursor = await stations_service.list_stations(
        session, org_id=org_id, near=near, params=page, viewer=user
    )
    return Page(items=items, next_cursor=cursor)


@router.get("/stations/{station_id}", response_model=StationPublic)
async def get_station(station_id: Id, session: SessionDep, user: CurrentUser, near: str | None = None):
    """One station with its services, master and deputies."""
    return await stations_service.station_detail(session, station_id=station_id, viewer=user, near=near)


@router.patch("/stations/{station_id}", response_model=StationPublic)
async def update_station(station_id: Id, body: StationUpdate, session: SessionDep, user: CurrentUser):
    """Change a station's details, open/closed status, master or deputies."""
    return await stations_service.update_station(session, station_id=station_id, data=body, actor=user)


@router.get("/stations/{station_id}/qr", response_model=QrToken)
async def station_qr(station_id: Id, session: SessionDep, user: CurrentUser):
    """The station's live signed code (master, deputies, staff); it rotates every 30 seconds."""
    return await stations_service.live_qr(session, station_id=station_id, actor=user)


@router.get("/stations/{station_id}/qr.svg", response_class=Response, responses=SVG_RESPONSES)
async def station_qr_svg(station_id: Id, session: SessionDep, user: CurrentUser):
    """The live code as an SVG image."""
    code = await stations_service.live_qr(session, station_id=station_id, actor=user)
    return await qr_svg(code.url)


@router.get("/stations/{station_id}/card", response_model=QrToken)
async def station_card(station_id: Id, session: SessionDep, user: CurrentUser):
    """The station's printable card code (where enabled; scans of it must carry the phone's location)."""
    return await stations_service.card_qr(session, station_id=station_id, actor=user)


@router.post("/stations/{station_id}/card/reissue", response_model=QrToken)
async def reissue_station_card(station_id: Id, session: SessionDep, user: CurrentUser):
    """Re-issue the printable card: the new code replaces it, and every card printed before stops working."""
    return await stations_service.reissue_card(session, station_id=station_id, actor=user)


@router.get("/stations/{station_id}/card.svg", response_class=Response, responses=SVG_RESPONSES)
async def station_card_svg(station_id: Id, session: SessionDep, user: CurrentUser):
    """The printable card code as an SVG image."""
    code = await stations_service.card_qr(session, station_id=station_id, actor=user)
    return await qr_svg(code.url, live=False)


@router.get("/stations/{station_id}/stats", response_model=StationStats)
async def station_stats(
    station_id: Id,
    session: SessionDep,
    user: CurrentUser,
    from_: Annotated[Instant | None, Query(alias="from")] = None,
    to: Instant | None = None,
):
    """Visits per day, duty minutes and today's count (master, deputies, staff)."""
    return await shifts_service.station_stats(session, station_id=station_id, start=from_, end=to, actor=user)


@router.post("/stations/{station_id}/shifts", response_model=ShiftPublic, status_code=201)
async def create_shift(station_id: Id, body: ShiftCreate, session: SessionDep, user: CurrentUser):
    """Add a duty shift to the station's roster (staff, master or deputies)."""
    return await shifts_service.create_shift(session, station_id=station_id, data=body, actor=user)


@router.get("/stations/{station_id}/shifts", response_model=list[ShiftPublic])
async def list_shifts(station_id: Id, session: SessionDep, user: CurrentUser, upcoming: bool = True):
    """The station's shifts (upcoming and running by default), marking yours."""
    return await shifts_service.list_shifts(session, station_id=station_id, viewer=user, upcoming=upcoming)


@router.post("/shifts/{shift_id}/signup", response_model=ShiftSignupPublic)
async def signup_shift(shift_id: Id, session: SessionDep, user: CurrentUser):
    """Take a place on a duty shift; full → 409 shift_full."""
    return await shifts_service.signup_shift(session, shift_id=shift_id, actor=user)


@router.delete("/shifts/{shift_id}/signup", status_code=204)
async def cancel_shift_signup(shift_id: Id, session: SessionDep, user: CurrentUser):
    """Give up your place on a shift that has not started."""
    await shifts_service.cancel_shift_signup(session, shift_id=shift_id, actor=user)
    return Response(status_code=204)


@router.post("/shifts/{shift_id}/close", response_model=ShiftClosed)
async def close_shift(shift_id: Id, session: SessionDep, user: CurrentUser):
    """Close a shift: unended duties are credited once up to the shift's end; no-shows recorded."""
    return await shifts_service.close_shift(session, shift_id=shift_id, actor=user)
