"""The scan page: the camera (jsQR), WeChat's scanner inside WeChat, or a typed code."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.deps import PageUser, SessionDep, SettingsDep
from app.services import checkins as checkins_service
from app.services import pages as pages_service
from app.templating import in_wechat, render

router = APIRouter()


@router.get("/scan")
async def scan_page(request: Request, session: SessionDep, user: PageUser, t: str | None = None):
    """Scan a station or activity code; `?t=` (a code scanned by another app) is submitted at once."""
    context = await pages_service.scan(session, user=user, token=t, in_wechat=in_wechat(request))
    return render(request, "scan/scan.html", context, tab="scan")


@router.get("/scan/wx-config")
async def wechat_config(request: Request, settings: SettingsDep, user: PageUser, url: str):
    """The signed WeChat JS-SDK config for the scan page (404 when WeChat is not configured)."""
    config = await checkins_service.jssdk_config(request.app.state.http, settings, url=url)
    if config is None:
        return JSONResponse({"available": False}, status_code=404)
    return config
