"""The wish pages: the wall, posting a wish, one wish with its actions, and the staff queues."""

from fastapi import APIRouter, Request

from app.deps import PageUser, SessionDep
from app.errors import Forbidden
from app.models.base import Id
from app.models.wishes import ACTION_LABELS, STATUS_LABELS
from app.permissions import has_any_staff_role
from app.services import wish_categories, wish_views
from app.templating import render

router = APIRouter()

LABELS = {"status_labels": STATUS_LABELS, "action_labels": ACTION_LABELS}


@router.get("/wishes")
async def wall(
    request: Request, session: SessionDep, user: PageUser, category: str | None = None, mine: bool = False
):
    """The wish wall (the viewer's compound first, by category), or my wishes and claims."""
    request.state.user = user
    if mine:
        context = await wish_views.mine_page(session, user=user)
        return render(request, "wishes/mine.html", {**LABELS, **context}, tab="wishes")
    categories = await wish_categories.categories_for(session, org_id=user.home_org_id)
    wishes = await wish_views.wall(
        session, user=user, category=category if category in categories else None, limit=50
    )
    return render(
        request,
        "wishes/wall.html",
        {**LABELS, "wishes": wishes, "category": category, "categories": categories},
        tab="wishes",
    )


@router.get("/wishes/new")
async def new_wish(request: Request, session: SessionDep, user: PageUser):
    """Post a wish: big buttons, a short form, the draft kept if the network drops."""
    request.state.user = user
    categories = await wish_categories.categories_for(session, org_id=user.home_org_id)
    return render(request, "wishes/new.html", {**LABELS, "categories": categories}, tab="wishes")


@router.get("/wishes/{wish_id}")
async def wish_detail(wish_id: Id, request: Request, session: SessionDep, user: PageUser):
    """One wish, its history, and exactly the actions this viewer may take."""
    request.state.user = user
    context = await wish_views.detail_page(session, wish_id=wish_id, user=user)
    return render(request, "wishes/detail.html", {**LABELS, **context}, tab="wishes")


@router.get("/admin/wishes")
async def admin_wishes(request: Request, session: SessionDep, user: PageUser):
    """Staff queues: wishes to review, done ones awaiting the poster, confirmed ones to verify."""
    request.state.user = user
    if not await has_any_staff_role(session, user_id=user.id):
        raise Forbidden("工作台仅对社区、小区工作人员开放")
    queues = await wish_views.queues(session, user=user)
    return render(request, "wishes/admin.html", {**LABELS, **queues}, tab="me")
