"""The in-app inbox: what happened to your wishes and claims."""

from fastapi import APIRouter

from app.deps import CurrentUser, SessionDep
from app.models.base import Id
from app.models.notifications import NotificationPublic, UnreadCount
from app.pagination import Page, PageDep
from app.services import notifications as notifications_service

router = APIRouter(prefix="/notifications", tags=["notifications"])


@router.get("", response_model=Page[NotificationPublic])
async def list_notifications(session: SessionDep, user: CurrentUser, page: PageDep, unread: bool = False):
    """Your messages, newest first (`?unread=true` for the unread ones)."""
    items, cursor = await notifications_service.list_mine(session, user=user, unread=unread, params=page)
    return Page(items=items, next_cursor=cursor)


@router.get("/unread-count", response_model=UnreadCount)
async def unread_count(session: SessionDep, user: CurrentUser):
    """How many messages you have not read."""
    return UnreadCount(unread=await notifications_service.unread_count(session, user=user))


@router.post("/read-all", response_model=UnreadCount)
async def mark_all_read(session: SessionDep, user: CurrentUser):
    """Mark all your messages read."""
    await notifications_service.mark_all_read(session, user=user)
    return UnreadCount(unread=0)


@router.post("/{notification_id}/read", response_model=NotificationPublic)
async def mark_read(notification_id: Id, session: SessionDep, user: CurrentUser):
    """Mark one of your messages read."""
    return await notifications_service.mark_read(session, notification_id=notification_id, user=user)
