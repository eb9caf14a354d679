"""Station pages: the list (nearest first), one station with its shifts, the tablet's live QR screen, admin."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.deps import PageUser, SessionDep
from app.errors import Forbidden
from app.models.base import Id
from app.models.stations import SERVICE_CHOICES
from app.pagination import PageParams
from app.services import shifts as shifts_service
from app.services import stations as stations_service
from app.templating import render

router = APIRouter()


@router.get("/stations")
async def stations_page(
    request: Request, session: SessionDep, user: PageUser, near: str | None = None, coord: str = "gcj02"
):
    """Red stations, nearest first once the phone shares its location (`coord=wgs84` for a browser's GPS)."""
    request.state.user = user
    point = stations_service.parse_near(near)
    if point and coord == "wgs84":
        near = "{:.6f},{:.6f}".format(*stations_service.wgs84_to_gcj02(*point))
    items, _ = await stations_service.list_stations(
        session, org_id=None, near=near, params=PageParams(limit=50), viewer=user
    )
    return render(request, "stations/list.html", {"stations": items, "near": near}, tab="home")


@router.get("/admin/stations")
async def admin_stations_page(request: Request, session: SessionDep, user: PageUser):
    """Stations the person runs: screens, cards, rosters, and registering new ones."""
    request.state.user = user
    stations = await stations_service.admin_list(session, actor=user)
    orgs = await stations_service.admin_orgs(session, actor=user)
    if not stations and not orgs:
        raise Forbidden("仅驿站站长和社区工作人员可以进入")
    return render(
        request,
        "stations/admin.html",
        {"stations": stations, "orgs": orgs, "service_choices": SERVICE_CHOICES},
        tab="me",
    )


@router.get("/stations/{station_id}")
async def station_page(station_id: Id, request: Request, session: SessionDep, user: PageUser):
    """One station: services, hours, master, and its duty shifts to sign up for."""
    request.state.user = user
    station = await stations_service.station_detail(session, station_id=station_id, viewer=user)
    shifts = await shifts_service.list_shifts(session, station_id=station_id, viewer=user)
    runs = await stations_service.can_run(
        session, station=await stations_service.get_station(session, station_id=station_id), user=user
    )
    return render(
        request, "stations/detail.html", {"station": station, "shifts": shifts, "runs": runs}, tab="home"
    )


@router.get("/stations/{station_id}/screen")
async def station_screen(station_id: Id, request: Request, session: SessionDep, user: PageUser):
    """The station tablet's full-screen live QR code, refreshing itself, with today's count."""
    request.state.user = user
    station = await stations_service.get_station(session, station_id=station_id)
    state = await stations_service.screen_state(session, station_id=station_id, actor=user)
    return render(
        request,
        "stations/screen.html",
        {"station": station, "state": state, "live_url": f"/stations/{station_id}/screen/live"},
    )


@router.get("/stations/{station_id}/screen/live")
async def station_screen_live(station_id: Id, session: SessionDep, user: PageUser):
    """The screen's current code and count (polled by the screen)."""
    return JSONResponse(
        await stations_service.screen_state(session, station_id=station_id, actor=user),
        headers={"Cache-Control": "no-store"},
    )
