"""Station pages: the list (nearest first), one station with its shifts, the tablet's live QR screen, admin."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.deps import PageUser, SessionDep, SettingsDep
from app.models.base import Id
from app.services import pages as pages_service
from app.services import stations as stations_service
from app.templating import render

router = APIRouter()


@router.get("/stations")
async def stations_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    settings: SettingsDep,
    near: str | None = None,
    coord: str = "gcj02",
):
    """Red stations, nearest first once the phone shares its location (`coord=wgs84` for a browser's GPS),
    on a map when a tile source is configured (EJIA_MAP_TILE_URL)."""
    context = await pages_service.stations(session, user=user, near=near, coord=coord)
    context["map"] = {"tiles": settings.map_tile_url, "attribution": settings.map_attribution}
    return render(request, "stations/list.html", context, tab="home")


@router.get("/admin/stations")
async def admin_stations_page(request: Request, session: SessionDep, user: PageUser):
    """Stations the person runs: screens, cards, rosters, and registering new ones."""
    context = await pages_service.stations_admin(session, user=user)
    return render(request, "stations/admin.html", context, tab="me")


@router.get("/stations/{station_id}")
async def station_page(station_id: Id, request: Request, session: SessionDep, user: PageUser):
    """One station: services, hours, master, and its duty shifts to sign up for."""
    context = await pages_service.station(session, station_id=station_id, user=user)
    return render(request, "stations/detail.html", context, tab="home")


@router.get("/stations/{station_id}/screen")
async def station_screen(station_id: Id, request: Request, session: SessionDep, user: PageUser):
    """The station tablet's full-screen live QR code, refreshing itself, with today's count."""
    context = await pages_service.station_screen(session, station_id=station_id, user=user)
    return render(request, "stations/screen.html", context)


@router.get("/stations/{station_id}/screen/live")
async def station_screen_live(station_id: Id, session: SessionDep, user: PageUser):
    """The screen's current code and count (polled by the screen)."""
    return JSONResponse(
        await stations_service.screen_state(session, station_id=station_id, actor=user),
        headers={"Cache-Control": "no-store"},
    )
