"""The signed-in person's own profile."""

from fastapi import APIRouter

from app.deps import CurrentUser, SessionDep
from app.models.user import MePublic, MeUpdate
from app.services import users as users_service

router = APIRouter(prefix="/me", tags=["me"])


@router.get("", response_model=MePublic)
async def get_me(session: SessionDep, user: CurrentUser):
    """Your profile and roles."""
    return await users_service.profile(session, user=user)


@router.patch("", response_model=MePublic)
async def update_me(body: MeUpdate, session: SessionDep, user: CurrentUser):
    """Change your name, home compound, party membership, skills or large-text mode."""
    return await users_service.update_profile(session, user=user, data=body)
