"""The shell pages: home, login, me and the staff console's entrance."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from app.deps import OptionalUser, PageUser, SessionDep, SettingsDep, StaffPageUser
from app.security import safe_next
from app.services import pages as pages_service
from app.services.wechat import configured as wechat_configured
from app.templating import in_wechat, render

router = APIRouter()


@router.get("/")
async def home(request: Request, session: SessionDep, user: PageUser):
    """Home: the wish wall of the person's compound, nearby stations, upcoming activities."""
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
    context = {
        "next": target,
        "bind": bool(bind),
        "in_wechat": in_wechat(request) and wechat_configured(settings),
    }
    return render(request, "auth/login.html", context)


@router.get("/me")
async def me_page(request: Request, session: SessionDep, user: PageUser):
    """Profile, roles and the large-text switch."""
    return render(request, "me/me.html", await pages_service.me(session, user=user), tab="me")


@router.get("/notifications")
async def notifications_page(request: Request, session: SessionDep, user: PageUser):
    """My messages, grouped by day, each opening what it is about."""
    return render(
        request, "me/notifications.html", await pages_service.notifications(session, user=user), tab="me"
    )


@router.get("/admin")
async def admin_page(request: Request, session: SessionDep, user: StaffPageUser):
    """The staff console's entrance: the queues and tools the person's roles open."""
    return render(request, "admin/index.html", await pages_service.admin(session, user=user), tab="me")
