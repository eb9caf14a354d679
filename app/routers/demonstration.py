"""Party-member demonstration posts (党员示范岗): given by staff, listed for everyone (公示, no phones)."""

from fastapi import APIRouter

from app.deps import CurrentUser, SessionDep
from app.models.base import Id
from app.models.demonstration import DemonstrationPostCreate, DemonstrationPostPublic
from app.pagination import Page, PageDep
from app.services import demonstration as demonstration_service

router = APIRouter(prefix="/demonstration-posts", tags=["teams"])


@router.post("", response_model=DemonstrationPostPublic, status_code=201)
async def create_post(body: DemonstrationPostCreate, session: SessionDep, user: CurrentUser):
    """Give a party member or a station a demonstration post (staff over the member's home or the station)."""
    return await demonstration_service.create_post(session, data=body, actor=user)


@router.get("", response_model=Page[DemonstrationPostPublic])
async def list_posts(
    session: SessionDep, user: CurrentUser, page: PageDep, org_id: Id | None = None, current: bool = True
):
    """Demonstration posts on a node and below (default: your alliance); held today unless `current=false`."""
    items, cursor = await demonstration_service.list_posts(
        session, actor=user, params=page, org_id=org_id, current=current
    )
    return Page(items=items, next_cursor=cursor)


@router.post("/{post_id}/end", response_model=DemonstrationPostPublic)
async def end_post(post_id: Id, session: SessionDep, user: CurrentUser):
    """End a demonstration post today (staff over where it belongs)."""
    return await demonstration_service.end_post(session, post_id=post_id, actor=user)
