"""Meeting pages (minutes, resolutions 公示, action items, chair rotation) and the co-building assessment pages."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.deps import PageUser, SessionDep, StaffPageUser
from app.models.base import Id
from app.routers.params import Year, YearQuery
from app.services import meeting_pages
from app.templating import render

router = APIRouter()


@router.get("/activities/{activity_id}/meeting")
async def meeting_page(activity_id: Id, request: Request, session: SessionDep, user: PageUser):
    """A meeting: its minutes and resolutions, action items, and the organiser's forms."""
    context = await meeting_pages.meeting(session, activity_id=activity_id, user=user)
    return render(request, "meetings/meeting.html", context, tab="home")


@router.get("/meetings/action-items")
async def action_items_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    org_id: Annotated[Id | None, Query()] = None,
    status: str | None = None,
):
    """The action items the person or their unit owns (to report done), or a subtree's for staff."""
    context = await meeting_pages.my_items(session, user=user, org_id=org_id, status=status)
    return render(request, "meetings/action_items.html", context, tab="me")


@router.get("/meetings/resolutions")
async def resolutions_page(
    request: Request, session: SessionDep, user: PageUser, org_id: Annotated[Id | None, Query()] = None
):
    """公示: the public resolutions of the person's community (or org_id's, for its staff)."""
    context = await meeting_pages.resolutions(session, user=user, org_id=org_id)
    return render(request, "meetings/resolutions.html", context, tab="home")


@router.get("/admin/meetings")
async def meetings_admin_page(request: Request, session: SessionDep, user: StaffPageUser):
    """Meetings the person organises, and the joint meeting's chair rotation for alliance admins."""
    context = await meeting_pages.meetings_admin(session, user=user)
    return render(request, "meetings/admin.html", context, tab="me")


@router.get("/admin/assessments")
async def assessments_page(
    request: Request, session: SessionDep, user: StaffPageUser, year: YearQuery = None
):
    """The co-building assessment: items, ranking and approval (alliance), units to score (community)."""
    context = await meeting_pages.assessments_admin(session, user=user, year=year)
    return render(request, "assessments/admin.html", context, tab="me")


@router.get("/admin/assessments/{unit_id}/{year}")
async def scoring_page(
    unit_id: Id,
    year: Year,
    request: Request,
    session: SessionDep,
    user: StaffPageUser,
    community_id: Annotated[Id | None, Query()] = None,
):
    """A community admin scores one unit item by item, beside its commitments and automatic figures."""
    context = await meeting_pages.scoring(
        session, unit_id=unit_id, year=year, community_id=community_id, user=user
    )
    return render(request, "assessments/score.html", context, tab="me")


@router.get("/units/progress")
async def my_unit_progress_page(
    request: Request, session: SessionDep, user: StaffPageUser, year: YearQuery = None
):
    """The unit admin's own progress: figures, commitments, action items, scores."""
    context = await meeting_pages.unit_progress(session, unit_id=None, year=year, user=user)
    return render(request, "assessments/progress.html", context, tab="me")


@router.get("/units/{unit_id}/progress")
async def unit_progress_page(
    unit_id: Id, request: Request, session: SessionDep, user: StaffPageUser, year: YearQuery = None
):
    """One unit's progress (its own people, the alliance's staff)."""
    context = await meeting_pages.unit_progress(session, unit_id=unit_id, year=year, user=user)
    return render(request, "assessments/progress.html", context, tab="me")
