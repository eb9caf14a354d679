"""Activity pages: the list, one activity with sign-up and my ticket, the organiser's live screen, admin."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.deps import PageUser, SessionDep
from app.errors import Forbidden
from app.models.activities import ACTIVITY_KINDS
from app.models.base import Id
from app.pagination import PageParams
from app.services import activities as activities_service
from app.services import activity_attendance, activity_signups
from app.templating import render

router = APIRouter()


@router.get("/activities")
async def activities_page(request: Request, session: SessionDep, user: PageUser, past: bool = False):
    """Upcoming activities (or past ones) to sign up for."""
    request.state.user = user
    items, _ = await activities_service.list_activities(
        session, org_id=None, upcoming=not past, params=PageParams(limit=50), viewer=user
    )
    return render(request, "activities/list.html", {"activities": items, "past": past}, tab="home")


@router.get("/admin/activities")
async def admin_activities_page(request: Request, session: SessionDep, user: PageUser):
    """Activities the person organises, and publishing a new one."""
    request.state.user = user
    orgs = await activities_service.staff_orgs(session, actor=user)
    activities = await activities_service.admin_list(session, actor=user)
    if not orgs and not activities:
        raise Forbidden("仅社区工作人员可以发布活动")
    return render(
        request,
        "activities/admin.html",
        {"activities": activities, "orgs": orgs, "kinds": ACTIVITY_KINDS},
        tab="me",
    )


@router.get("/activities/{activity_id}")
async def activity_page(activity_id: Id, request: Request, session: SessionDep, user: PageUser):
    """One activity: time, place, places left, sign-up or the waiting list, and my ticket code."""
    request.state.user = user
    activity = await activities_service.activity_detail(session, activity_id=activity_id, viewer=user)
    ticket = await activity_signups.ticket_svg(session, activity_id=activity_id, actor=user)
    stats = None
    if activity.is_organiser:
        stats = await activity_attendance.activity_stats(session, activity_id=activity_id, actor=user)
    return render(
        request,
        "activities/detail.html",
        {"activity": activity, "ticket_svg": ticket, "stats": stats},
        tab="home",
    )


@router.get("/activities/{activity_id}/screen")
async def activity_screen(activity_id: Id, request: Request, session: SessionDep, user: PageUser):
    """The organiser's full-screen live sign-in code with the running count."""
    request.state.user = user
    activity = await activities_service.get_activity(session, activity_id=activity_id)
    state = await activity_attendance.screen_state(session, activity_id=activity_id, actor=user)
    return render(
        request,
        "activities/screen.html",
        {"activity": activity, "state": state, "live_url": f"/activities/{activity_id}/screen/live"},
    )


@router.get("/activities/{activity_id}/screen/live")
async def activity_screen_live(activity_id: Id, session: SessionDep, user: PageUser):
    """The screen's current code and count (polled by the screen)."""
    return JSONResponse(
        await activity_attendance.screen_state(session, activity_id=activity_id, actor=user),
        headers={"Cache-Control": "no-store"},
    )
