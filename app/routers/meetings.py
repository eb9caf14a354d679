"""Meetings (议事会, 联席会议, 民情研判会): minutes and resolutions, action items, the rotating chair."""

from fastapi import APIRouter, Response

from app.deps import CurrentUser, SessionDep
from app.models.base import Id
from app.models.meetings import (
    ActionItemCreate,
    ActionItemDone,
    ActionItemPublic,
    ActionItemStatus,
    ChairRotationIn,
    ChairRotationPublic,
    MinutesIn,
    MinutesPublic,
)
from app.pagination import Page, PageDep
from app.routers.photos import PHOTO_RESPONSES, UploadedPhoto, photo_response
from app.services import action_items as items_service
from app.services import meetings as meetings_service

router = APIRouter(prefix="", tags=["meetings"])


@router.post("/activities/{activity_id}/minutes", response_model=MinutesPublic, status_code=201)
async def write_minutes(activity_id: Id, body: MinutesIn, session: SessionDep, user: CurrentUser):
    """Write or rewrite a meeting's minutes and resolutions (organiser); `public` shows the resolutions to the community."""
    return await meetings_service.write_minutes(session, activity_id=activity_id, data=body, actor=user)


@router.get("/activities/{activity_id}/minutes", response_model=MinutesPublic)
async def read_minutes(activity_id: Id, session: SessionDep, user: CurrentUser):
    """A meeting's minutes: in full for attendees and staff, the resolutions only for the community when public."""
    return await meetings_service.read_minutes(session, activity_id=activity_id, viewer=user)


@router.post("/activities/{activity_id}/minutes/photos", response_model=MinutesPublic, status_code=201)
async def add_minutes_photo(activity_id: Id, session: SessionDep, user: CurrentUser, photo: UploadedPhoto):
    """Add a photo of the meeting (multipart field `photo`: JPG, PNG or WebP, at most 5 MB, nine a meeting)."""
    return await meetings_service.add_minutes_photo(session, activity_id=activity_id, data=photo, actor=user)


@router.get(
    "/activities/{activity_id}/minutes/photos/{index}", response_class=Response, responses=PHOTO_RESPONSES
)
async def minutes_photo(activity_id: Id, index: int, session: SessionDep, user: CurrentUser):
    """A photo of a meeting (attendees and staff)."""
    data, media_type = await meetings_service.minutes_photo(
        session, activity_id=activity_id, index=index, viewer=user
    )
    return photo_response(data, media_type)


@router.get("/resolutions", response_model=list[MinutesPublic])
async def public_resolutions(session: SessionDep, user: CurrentUser, org_id: Id | None = None):
    """公示: public resolutions of meetings in your community (or org_id's, if you live there or are staff over it)."""
    return await meetings_service.public_resolutions(session, viewer=user, org_id=org_id)


@router.post("/activities/{activity_id}/action-items", response_model=ActionItemPublic, status_code=201)
async def create_action_item(activity_id: Id, body: ActionItemCreate, session: SessionDep, user: CurrentUser):
    """Give a follow-up to a person or a unit with a due date (organiser)."""
    return await items_service.create_item(session, activity_id=activity_id, data=body, actor=user)


@router.get("/activities/{activity_id}/action-items", response_model=list[ActionItemPublic])
async def meeting_action_items(activity_id: Id, session: SessionDep, user: CurrentUser):
    """A meeting's action items (organiser, attendees and staff)."""
    return await items_service.items_of_meeting(session, activity_id=activity_id, viewer=user)


@router.post("/action-items/{item_id}/done", response_model=ActionItemPublic)
async def action_item_done(item_id: Id, body: ActionItemDone, session: SessionDep, user: CurrentUser):
    """Report an action item done with a note (the owner, or an admin of the owning unit)."""
    return await items_service.mark_done(session, item_id=item_id, note=body.note, actor=user)


@router.post("/action-items/{item_id}/photos", response_model=ActionItemPublic, status_code=201)
async def add_action_item_photo(item_id: Id, session: SessionDep, user: CurrentUser, photo: UploadedPhoto):
    """Add a photo of what was done (the owner; multipart field `photo`, three an item)."""
    return await items_service.add_photo(session, item_id=item_id, data=photo, actor=user)


@router.get("/action-items/{item_id}/photos/{index}", response_class=Response, responses=PHOTO_RESPONSES)
async def action_item_photo(item_id: Id, index: int, session: SessionDep, user: CurrentUser):
    """A photo of an action item (its owner and the staff over its meeting)."""
    data, media_type = await items_service.item_photo(session, item_id=item_id, index=index, viewer=user)
    return photo_response(data, media_type)


@router.get("/action-items", response_model=Page[ActionItemPublic])
async def list_action_items(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    org_id: Id | None = None,
    status: ActionItemStatus | None = None,
):
    """Action items of meetings in org_id's subtree (staff over it); without org_id, the ones you or your units own."""
    items, cursor = await items_service.list_items(
        session, org_id=org_id, status=status, params=page, viewer=user
    )
    return Page(items=items, next_cursor=cursor)


@router.get("/orgs/{org_id}/chair-rotation", response_model=ChairRotationPublic)
async def get_chair_rotation(org_id: Id, session: SessionDep, user: CurrentUser):
    """The order units chair the joint meeting in, and the next chair (the unit after the last meeting's)."""
    return await meetings_service.get_rotation(session, org_id=org_id, actor=user)


@router.put("/orgs/{org_id}/chair-rotation", response_model=ChairRotationPublic)
async def set_chair_rotation(org_id: Id, body: ChairRotationIn, session: SessionDep, user: CurrentUser):
    """Set the order units chair the joint meeting in (alliance admin)."""
    return await meetings_service.set_rotation(session, org_id=org_id, data=body, actor=user)
