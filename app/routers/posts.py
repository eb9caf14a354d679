"""Service posts (设岗定责): set up, claimed, left, and the work logged on them."""

from fastapi import APIRouter

from app.deps import CurrentUser, SessionDep
from app.models.base import Id
from app.models.posts import PostClaimPublic, PostCreate, PostLogCreate, PostLogPublic, PostPublic
from app.pagination import Page, PageDep
from app.services import posts as posts_service

router = APIRouter(prefix="", tags=["members"])


@router.post("/orgs/{org_id}/posts", response_model=PostPublic, status_code=201)
async def create_post(org_id: Id, body: PostCreate, session: SessionDep, user: CurrentUser):
    """Set up a post on a branch (设岗定责; staff/admin over it)."""
    return await posts_service.create_post(session, org_id=org_id, data=body, actor=user)


@router.get("/orgs/{org_id}/posts", response_model=Page[PostPublic])
async def list_posts(org_id: Id, session: SessionDep, user: CurrentUser, page: PageDep):
    """The posts set up on this node and below."""
    items, cursor = await posts_service.list_posts(session, org_id=org_id, actor=user, params=page)
    return Page(items=items, next_cursor=cursor)


@router.get("/posts/open", response_model=list[PostPublic])
async def open_posts(session: SessionDep, user: CurrentUser):
    """The posts you may claim: on your approved branch and the levels above it."""
    return await posts_service.posts_open_to(session, actor=user)


@router.get("/posts/{post_id}", response_model=PostPublic)
async def get_post(post_id: Id, session: SessionDep, user: CurrentUser):
    """One post with its slots taken."""
    return await posts_service.get_post(session, post_id=post_id, actor=user)


@router.post("/posts/{post_id}/claim", response_model=PostClaimPublic, status_code=201)
async def claim_post(post_id: Id, session: SessionDep, user: CurrentUser):
    """Claim one slot of a post (approved members of the branch); full → 409 post_full."""
    return await posts_service.claim_post(session, post_id=post_id, actor=user)


@router.post("/posts/{post_id}/leave", response_model=PostClaimPublic)
async def leave_post(post_id: Id, session: SessionDep, user: CurrentUser):
    """Give up your post."""
    return await posts_service.leave_post(session, post_id=post_id, actor=user)


@router.post("/posts/{post_id}/logs", response_model=PostLogPublic, status_code=201)
async def log_work(post_id: Id, body: PostLogCreate, session: SessionDep, user: CurrentUser):
    """Record what you did on your post, in minutes."""
    return await posts_service.log_work(session, post_id=post_id, data=body, actor=user)


@router.get("/posts/{post_id}/logs", response_model=list[PostLogPublic])
async def list_logs(post_id: Id, session: SessionDep, user: CurrentUser):
    """Your work logs on a post (staff over it see everyone's)."""
    return await posts_service.list_logs(session, post_id=post_id, actor=user)
