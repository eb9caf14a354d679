"""The wish pages: the wall, posting a wish, one wish with its actions, and the staff queues."""

from fastapi import APIRouter, Request

from app.deps import PageUser, SessionDep, StaffPageUser
from app.models.base import Id
from app.models.wishes import ACTION_LABELS, STATUS_LABELS
from app.services import pages as pages_service
from app.services import wish_views
from app.templating import render

router = APIRouter()

LABELS = {"status_labels": STATUS_LABELS, "action_labels": ACTION_LABELS}


@router.get("/wishes")
async def wall(
    request: Request, session: SessionDep, user: PageUser, category: str | None = None, mine: bool = False
):
    """The wish wall (the viewer's compound first, by category), or my wishes and claims."""
    if mine:
        context = await wish_views.mine_page(session, user=user)
        return render(request, "wishes/mine.html", {**LABELS, **context}, tab="wishes")
    context = await pages_service.wish_wall(session, user=user, category=category)
    return render(request, "wishes/wall.html", {**LABELS, **context}, tab="wishes")


@router.get("/wishes/new")
async def new_wish(request: Request, session: SessionDep, user: PageUser):
    """Post a wish: big buttons, a short form, the draft kept if the network drops."""
    context = await pages_service.new_wish(session, user=user)
    return render(request, "wishes/new.html", {**LABELS, **context}, tab="wishes")


@router.get("/wishes/{wish_id}")
async def wish_detail(wish_id: Id, request: Request, session: SessionDep, user: PageUser):
    """One wish, its history, and exactly the actions this viewer may take."""
    context = await wish_views.detail_page(session, wish_id=wish_id, user=user)
    return render(request, "wishes/detail.html", {**LABELS, **context}, tab="wishes")


@router.get("/admin/wishes")
async def admin_wishes(request: Request, session: SessionDep, user: StaffPageUser):
    """Staff queues: wishes to review, done ones awaiting the poster, confirmed ones to verify."""
    queues = await wish_views.queues(session, user=user)
    return render(request, "wishes/admin.html", {**LABELS, **queues}, tab="me")
