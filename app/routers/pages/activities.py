"""Activity pages: the list, one activity with sign-up and my ticket, the organiser's live screen, admin."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.deps import PageUser, SessionDep
from app.models.base import Id
from app.services import activity_attendance
from app.services import pages as pages_service
from app.templating import render

router = APIRouter()


@router.get("/activities")
async def activities_page(request: Request, session: SessionDep, user: PageUser, past: bool = False):
    """Upcoming activities (or past ones) to sign up for."""
    context = await pages_service.activities(session, user=user, past=past)
    return render(request, "activities/list.html", context, tab="home")


@router.get("/admin/activities")
async def admin_activities_page(request: Request, session: SessionDep, user: PageUser):
    """Activities the person organises, and publishing a new one."""
    context = await pages_service.activities_admin(session, user=user)
    return render(request, "activities/admin.html", context, tab="me")


@router.get("/activities/{activity_id}")
async def activity_page(activity_id: Id, request: Request, session: SessionDep, user: PageUser):
    """One activity: time, place, places left, sign-up or the waiting list, and my ticket code."""
    context = await pages_service.activity(session, activity_id=activity_id, user=user)
    return render(request, "activities/detail.html", context, tab="home")


@router.get("/activities/{activity_id}/screen")
async def activity_screen(activity_id: Id, request: Request, session: SessionDep, user: PageUser):
    """The organiser's full-screen live sign-in code with the running count."""
    context = await pages_service.activity_screen(session, activity_id=activity_id, user=user)
    return render(request, "activities/screen.html", context)


@router.get("/activities/{activity_id}/screen/live")
async def activity_screen_live(activity_id: Id, session: SessionDep, user: PageUser):
    """The screen's current code and count (polled by the screen)."""
    return JSONResponse(
        await activity_attendance.screen_state(session, activity_id=activity_id, actor=user),
        headers={"Cache-Control": "no-store"},
    )


@router.get("/activities/{activity_id}/roster")
async def activity_roster_page(activity_id: Id, request: Request, session: SessionDep, user: PageUser):
    """The organiser's list: who signed up, who waits, who came, who did not, who walked in."""
    context = await pages_service.activity_roster(session, activity_id=activity_id, user=user)
    return render(request, "activities/roster.html", context, tab="me")
