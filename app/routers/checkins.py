"""Scanning codes (扫码签到): station visits, duty start/end and activity sign-ins."""

from fastapi import APIRouter

from app.deps import CurrentUser, SessionDep
from app.models.stations import CheckinIn, CheckinPublic
from app.services import checkins as checkins_service

router = APIRouter(prefix="/checkins", tags=["checkins"])


@router.post("", response_model=CheckinPublic)
async def check_in(body: CheckinIn, session: SessionDep, user: CurrentUser):
    """Scan a station or activity code; a retry in the same window returns the first record with duplicate=true."""
    return await checkins_service.check_in(session, data=body, actor=user)


@router.get("/mine", response_model=list[CheckinPublic])
async def my_checkins(session: SessionDep, user: CurrentUser):
    """Your recent scans."""
    return await checkins_service.my_checkins(session, user=user)
