"""The scan page: the camera (jsQR), WeChat's scanner inside WeChat, or a typed code."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.deps import PageUser, SessionDep, SettingsDep
from app.services import checkins as checkins_service
from app.templating import render

router = APIRouter()


@router.get("/scan")
async def scan_page(request: Request, session: SessionDep, user: PageUser, t: str | None = None):
    """Scan a station or activity code; `?t=` (a code scanned by another app) is submitted at once."""
    request.state.user = user
    in_wechat = "micromessenger" in request.headers.get("user-agent", "").lower()
    recent = await checkins_service.my_checkins(session, user=user, limit=5)
    return render(
        request, "scan/scan.html", {"token": t or "", "in_wechat": in_wechat, "recent": recent}, tab="scan"
    )


@router.get("/scan/wx-config")
async def wechat_config(request: Request, settings: SettingsDep, user: PageUser, url: str):
    """The signed WeChat JS-SDK config for the scan page (404 when WeChat is not configured)."""
    config = await checkins_service.jssdk_config(request.app.state.http, settings, url=url)
    if config is None:
        return JSONResponse({"available": False}, status_code=404)
    return config
