"""Grid events (网格事件): report, dispatch, handle, check, feedback."""

from typing import Literal

from fastapi import APIRouter, Response, UploadFile

from app.deps import CurrentUser, SessionDep
from app.errors import ValidationFailed
from app.models.base import Id
from app.models.events import (
    CheckIn,
    DispatchIn,
    EventCreate,
    EventFeedbackIn,
    EventPublic,
    EventStatus,
    HandleIn,
)
from app.pagination import Page, PageDep
from app.services import events as events_service
from app.services.storage import max_photo_bytes

router = APIRouter(prefix="/events", tags=["events"])


@router.post("", response_model=EventPublic, status_code=201)
async def report_event(body: EventCreate, session: SessionDep, user: CurrentUser):
    """Report a problem in the neighbourhood → reported (staff may report for someone by phone)."""
    return await events_service.report_event(session, data=body, actor=user)


@router.get("", response_model=Page[EventPublic])
async def list_events(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    org_id: Id | None = None,
    status: EventStatus | None = None,
    mine: bool = False,
    queue: Literal["dispatch", "handle", "check"] | None = None,
    overdue: bool | None = None,
):
    """Events you may see: your own, your subtree's, and those dispatched to your unit."""
    items, cursor = await events_service.list_events(
        session,
        actor=user,
        params=page,
        org_id=org_id,
        status=status,
        mine=mine,
        queue=queue,
        overdue=overdue,
    )
    return Page(items=items, next_cursor=cursor)


@router.get("/{event_id}", response_model=EventPublic)
async def get_event(event_id: Id, session: SessionDep, user: CurrentUser):
    """One event with its history."""
    return await events_service.get_event(session, event_id=event_id, actor=user)


@router.post("/{event_id}/dispatch", response_model=EventPublic)
async def dispatch_event(event_id: Id, body: DispatchIn, session: SessionDep, user: CurrentUser):
    """Send the event to a handler with a due date (staff/admin over it) → dispatched."""
    return await events_service.dispatch_event(session, event_id=event_id, data=body, actor=user)


@router.post("/{event_id}/handle", response_model=EventPublic)
async def handle_event(event_id: Id, body: HandleIn, session: SessionDep, user: CurrentUser):
    """Report what was done (admin/staff of the handler) → handled."""
    return await events_service.handle_event(session, event_id=event_id, data=body, actor=user)


@router.post("/{event_id}/check", response_model=EventPublic)
async def check_event(event_id: Id, body: CheckIn, session: SessionDep, user: CurrentUser):
    """Check the handling (staff/admin over it) → checked, or back to dispatched."""
    return await events_service.check_event(session, event_id=event_id, data=body, actor=user)


@router.post("/{event_id}/feedback", response_model=EventPublic)
async def give_feedback(event_id: Id, body: EventFeedbackIn, session: SessionDep, user: CurrentUser):
    """Say whether you are satisfied (the reporter) → closed."""
    return await events_service.give_feedback(session, event_id=event_id, data=body, actor=user)


@router.post("/{event_id}/photos", response_model=EventPublic, status_code=201)
async def upload_photo(event_id: Id, photo: UploadFile, session: SessionDep, user: CurrentUser):
    """Add a photo (multipart field `photo`: JPG, PNG or WebP, at most 5 MB, three per event)."""
    data = await photo.read(max_photo_bytes() + 1)
    if not data:
        raise ValidationFailed("请选择照片", code="photo_required")
    return await events_service.add_photo(session, event_id=event_id, data=data, actor=user)


@router.get(
    "/{event_id}/photos/{index}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
async def get_photo(event_id: Id, index: int, session: SessionDep, user: CurrentUser):
    """A photo of an event you may see."""
    data, media_type = await events_service.get_photo(session, event_id=event_id, index=index, actor=user)
    return Response(content=data, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"})
