"""Micro-wishes (微心愿): post, review and dispatch, claim, done, confirm, verify, cancel."""

from fastapi import APIRouter, Response

from app.deps import CurrentUser, SessionDep
from app.models.base import Id
from app.models.claim_policy import ClaimPolicyIn, ClaimPolicyPublic
from app.models.wishes import (
    CategoriesIn,
    ClaimIn,
    ConfirmIn,
    DoneIn,
    ReviewIn,
    VerifyIn,
    WishCreate,
    WishPublic,
    WishStatus,
)
from app.pagination import Page, PageDep
from app.routers.photos import PHOTO_RESPONSES, UploadedPhoto, photo_response
from app.services import claim_policy, wish_categories, wish_views
from app.services import wishes as wishes_service

router = APIRouter(prefix="/wishes", tags=["wishes"])


@router.post("", response_model=WishPublic, status_code=201)
async def create_wish(body: WishCreate, session: SessionDep, user: CurrentUser):
    """Post a wish; it waits for review by the compound's staff (`submitted`)."""
    return await wishes_service.create_wish(session, data=body, actor=user)


@router.get("", response_model=Page[WishPublic])
async def list_wishes(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    org_id: Id | None = None,
    status: WishStatus | None = None,
    category: str | None = None,
    mine: bool = False,
):
    """Wishes you may see: published ones for everyone; the rest for their poster and staff over them."""
    items, cursor = await wish_views.list_wishes(
        session, actor=user, params=page, org_id=org_id, status=status, category=category, mine=mine
    )
    return Page(items=items, next_cursor=cursor)


@router.get("/claim-policy", response_model=ClaimPolicyPublic)
async def get_claim_policy(org_id: Id, session: SessionDep, user: CurrentUser):
    """The claiming limits of the alliance over `org_id`: open claims, claims and releases a day."""
    return await claim_policy.get_policy(session, org_id=org_id)


@router.put("/claim-policy/{alliance_id}", response_model=ClaimPolicyPublic)
async def set_claim_policy(alliance_id: Id, body: ClaimPolicyIn, session: SessionDep, user: CurrentUser):
    """An alliance admin sets the alliance's claiming limits."""
    return await claim_policy.set_policy(session, alliance=alliance_id, data=body, actor=user)


@router.get("/categories", response_model=list[str])
async def list_categories(session: SessionDep, user: CurrentUser, org_id: Id | None = None):
    """The categories a wish may take where `org_id` sits (default: your home compound)."""
    return await wish_categories.categories_for(session, org_id=org_id or user.home_org_id)


@router.put("/categories", response_model=list[str])
async def set_categories(body: CategoriesIn, session: SessionDep, user: CurrentUser):
    """An alliance admin sets the alliance's own category list."""
    return await wish_categories.set_categories(
        session, alliance_id=body.alliance_id, names=body.names, actor=user
    )


@router.get("/{wish_id}", response_model=WishPublic)
async def get_wish(wish_id: Id, session: SessionDep, user: CurrentUser):
    """One wish with its history (`events[]`) and the actions open to you (`actions[]`)."""
    return await wish_views.get_wish(session, wish_id=wish_id, actor=user)


@router.post("/{wish_id}/review", response_model=WishPublic)
async def review_wish(wish_id: Id, body: ReviewIn, session: SessionDep, user: CurrentUser):
    """Publish (optionally dispatching to a member unit) or reject with a reason."""
    return await wishes_service.review(session, wish_id=wish_id, data=body, actor=user)


@router.post("/{wish_id}/claim", response_model=WishPublic)
async def claim_wish(wish_id: Id, session: SessionDep, user: CurrentUser, body: ClaimIn | None = None):
    """Claim a published wish; exactly one claimer wins."""
    return await wishes_service.claim(session, wish_id=wish_id, data=body or ClaimIn(), actor=user)


@router.post("/{wish_id}/release", response_model=WishPublic)
async def release_wish(wish_id: Id, session: SessionDep, user: CurrentUser):
    """Give your claim back; the wish returns to the wall."""
    return await wishes_service.release(session, wish_id=wish_id, actor=user)


@router.post("/{wish_id}/done", response_model=WishPublic)
async def mark_done(wish_id: Id, body: DoneIn, session: SessionDep, user: CurrentUser):
    """Report the help you gave (note, minutes spent)."""
    return await wishes_service.mark_done(session, wish_id=wish_id, data=body, actor=user)


@router.post("/{wish_id}/confirm", response_model=WishPublic)
async def confirm_wish(wish_id: Id, body: ConfirmIn, session: SessionDep, user: CurrentUser):
    """Confirm the help on your wish and rate it (1–5 stars)."""
    return await wishes_service.confirm(session, wish_id=wish_id, data=body, actor=user)


@router.post("/{wish_id}/verify", response_model=WishPublic)
async def verify_wish(wish_id: Id, body: VerifyIn, session: SessionDep, user: CurrentUser):
    """Verify the help (站点验收); credits the claimer's time bank once."""
    return await wishes_service.verify(session, wish_id=wish_id, data=body, actor=user)


@router.post("/{wish_id}/cancel", response_model=WishPublic)
async def cancel_wish(wish_id: Id, session: SessionDep, user: CurrentUser):
    """Withdraw your wish before anyone claims it."""
    return await wishes_service.cancel(session, wish_id=wish_id, actor=user)


@router.post("/{wish_id}/photos", response_model=WishPublic, status_code=201)
async def upload_photo(wish_id: Id, session: SessionDep, user: CurrentUser, photo: UploadedPhoto):
    """Add a photo (multipart field `photo`: JPG, PNG or WebP, at most 5 MB, three per wish)."""
    return await wishes_service.add_photo(session, wish_id=wish_id, data=photo, actor=user)


@router.get(
    "/{wish_id}/photos/{index}",
    response_class=Response,
    responses=PHOTO_RESPONSES,
)
async def get_photo(wish_id: Id, index: int, session: SessionDep, user: CurrentUser):
    """A photo of a wish you may see."""
    data, media_type = await wishes_service.get_photo(session, wish_id=wish_id, index=index, actor=user)
    return photo_response(data, media_type)
