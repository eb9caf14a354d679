"""Staff over the node a person belongs to: correcting the fields they set once, stopping an account."""

from fastapi import APIRouter, Response

from app.deps import CurrentUser, SessionDep
from app.models.base import Id
from app.models.user import BlockIn, MePublic, ProfileCorrection
from app.services import users as users_service

router = APIRouter(prefix="/users", tags=["me"])


@router.patch("/{user_id}", response_model=MePublic)
async def correct_user(user_id: Id, body: ProfileCorrection, session: SessionDep, actor: CurrentUser):
    """Staff over the node the person belongs to move their home (within the alliance) or correct
    their birth year, with a reason; audit-logged. A person sets these once on /me, then only staff may."""
    return await users_service.correct_profile(session, user_id=user_id, data=body, actor=actor)


@router.post("/{user_id}/block", status_code=204)
async def block_user(user_id: Id, body: BlockIn, session: SessionDep, actor: CurrentUser) -> Response:
    """An admin over the node the person belongs to stops their account: every token is refused at
    once and signing in is refused until restored. Audit-logged with the reason."""
    await users_service.set_blocked(session, user_id=user_id, reason=body.reason, actor=actor)
    return Response(status_code=204)


@router.delete("/{user_id}/block", status_code=204)
async def unblock_user(user_id: Id, session: SessionDep, actor: CurrentUser) -> Response:
    """Restore a stopped account (the person signs in again)."""
    await users_service.set_blocked(session, user_id=user_id, reason=None, actor=actor)
    return Response(status_code=204)
