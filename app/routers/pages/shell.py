"""The shell pages: home, login, me and the staff console's entrance."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from app.deps import OptionalUser, PageUser, SessionDep, SettingsDep
from app.errors import Forbidden
from app.routers.auth import safe_next
from app.services import pages as pages_service
from app.services.wechat import configured as wechat_configured
from app.templating import render

router = APIRouter()


@router.get("/")
async def home(request: Request, session: SessionDep, user: PageUser):
    """Home: the wish wall of the person's compound, nearby stations, upcoming activities."""
    request.state.user = user
    return render(request, "home.html", await pages_service.home(session, user=user), tab="home")


@router.get("/login")
async def login_page(
    request: Request,
    user: OptionalUser,
    settings: SettingsDep,
    next: Annotated[str | None, Query()] = None,
    bind: int = 0,
):
    """Phone and SMS code (and WeChat sign-in inside WeChat)."""
    target = safe_next(next)
    if user and not bind:
        return RedirectResponse(target, status_code=303)
    # The WeChat button only inside WeChat, and only when a WeChat app is configured.
    in_wechat = "micromessenger" in request.headers.get("user-agent", "").lower() and wechat_configured(
        settings
    )
    return render(request, "auth/login.html", {"next": target, "bind": bool(bind), "in_wechat": in_wechat})


@router.get("/me")
async def me_page(request: Request, session: SessionDep, user: PageUser):
    """Profile, roles and the large-text switch."""
    request.state.user = user
    return render(request, "me/me.html", await pages_service.me(session, user=user), tab="me")


@router.get("/admin")
async def admin_page(request: Request, session: SessionDep, user: PageUser):
    """The staff console's entrance: the queues and tools the person's roles open."""
    request.state.user = user
    context = await pages_service.admin(session, user=user)
    if not context["roles"]:
        raise Forbidden("工作台仅对社区、小区工作人员开放")
    return render(request, "admin/index.html", context, tab="me")
