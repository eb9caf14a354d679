"""Staff correcting the fields a person sets once (their home, their birth year)."""

from fastapi import APIRouter

from app.deps import CurrentUser, SessionDep
from app.models.base import Id
from app.models.user import MePublic, ProfileCorrection
from app.services import users as users_service

router = APIRouter(prefix="/users", tags=["me"])


@router.patch("/{user_id}", response_model=MePublic)
async def correct_user(user_id: Id, body: ProfileCorrection, session: SessionDep, actor: CurrentUser):
    """Staff over the node the person belongs to move their home (within the alliance) or correct
    their birth year, with a reason; audit-logged. A person sets these once on /me, then only staff may."""
    return await users_service.correct_profile(session, user_id=user_id, data=body, actor=actor)
