"""Pages: report a neighbourhood problem, follow it, and the staff console's dispatch and check queues."""

from fastapi import APIRouter, Request

from app.deps import PageUser, SessionDep
from app.models.base import Id
from app.models.events import ACTION_LABELS, STATUS_LABELS
from app.services import events as events_service
from app.templating import render

router = APIRouter()

LABELS = {"status": STATUS_LABELS, "action": ACTION_LABELS}


@router.get("/events/new")
async def new_event(request: Request, session: SessionDep, user: PageUser):
    """Report a problem: category, what is wrong, where (the draft survives a dropped network)."""
    context = await events_service.new_page(session, user=user)
    return render(request, "events/new.html", {**context, "status_labels": STATUS_LABELS}, tab="me")


@router.get("/admin/events")
async def admin_events(request: Request, session: SessionDep, user: PageUser):
    """The dispatch, handling, check and overdue queues."""
    context = await events_service.admin_page(session, user=user)
    return render(request, "events/admin.html", {**context, "labels": LABELS}, tab="me")


@router.get("/events/{event_id}")
async def event_page(request: Request, event_id: Id, session: SessionDep, user: PageUser):
    """One event: where it stands, its history, and what the viewer may do next."""
    context = await events_service.event_page(session, event_id=event_id, user=user)
    return render(request, "events/detail.html", {**context, "labels": LABELS}, tab="me")
