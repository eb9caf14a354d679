"""A member's record card (活动记录卡)."""

from fastapi import APIRouter

from app.deps import CurrentUser, SessionDep
from app.models.base import Id
from app.models.records import RecordPublic
from app.routers.params import YearQuery
from app.services import member_reports as reports_service
from app.services import records as records_service

router = APIRouter(prefix="", tags=["members"])


@router.get("/members/{user_id}/record", response_model=RecordPublic)
async def get_record(user_id: Id, session: SessionDep, user: CurrentUser, year: YearQuery = None):
    """A member's record card for a year: activities, wishes, shifts, posts, minutes."""
    return await records_service.record_card(
        session, user_id=user_id, year=year or reports_service.this_year(), actor=user
    )
