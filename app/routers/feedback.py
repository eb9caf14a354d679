"""Feedback forms and service cards on members, and the alliance's settings for them."""

from typing import Annotated

from fastapi import APIRouter, Path, Response

from app.deps import CurrentUser, SessionDep
from app.models.base import Id
from app.models.feedback import FeedbackPublic, MemberSettingsIn, MemberSettingsPublic, RatingIn
from app.pagination import Page, PageDep
from app.routers.params import Year, YearQuery
from app.services import feedback as feedback_service
from app.services import member_reports as reports_service
from app.services import records as records_service
from app.xlsx import XLSX, xlsx_response

router = APIRouter(prefix="", tags=["members"])


@router.put("/members/{user_id}/feedback/{year}", response_model=FeedbackPublic)
async def rate_member(user_id: Id, year: Year, body: RatingIn, session: SessionDep, user: CurrentUser):
    """Rate a member for the year (staff/admin over their branch)."""
    return await feedback_service.rate_member(session, user_id=user_id, year=year, data=body, actor=user)


@router.put("/members/{user_id}/service-cards/{year}/{quarter}", response_model=FeedbackPublic)
async def rate_quarter(
    user_id: Id,
    year: Year,
    quarter: Annotated[int, Path(ge=1, le=4)],
    body: RatingIn,
    session: SessionDep,
    user: CurrentUser,
):
    """Fill a member's quarterly service card (where the alliance sends one to employers every quarter)."""
    return await feedback_service.rate_member(
        session, user_id=user_id, year=year, data=body, actor=user, quarter=quarter
    )


@router.get("/members/{user_id}/feedback", response_model=list[FeedbackPublic])
async def member_feedback(user_id: Id, session: SessionDep, user: CurrentUser):
    """A member's feedback forms: your own, or those your role lets you read."""
    return await feedback_service.member_forms(session, user_id=user_id, actor=user)


@router.get("/units/{unit_id}/feedback", response_model=Page[FeedbackPublic])
async def unit_feedback(
    unit_id: Id, session: SessionDep, user: CurrentUser, page: PageDep, year: YearQuery = None
):
    """The unit's members' yearly feedback forms (admin of the unit)."""
    items, cursor = await feedback_service.unit_forms(
        session, unit_id=unit_id, year=year or reports_service.this_year(), actor=user, params=page
    )
    return Page(items=items, next_cursor=cursor)


@router.get(
    "/units/{unit_id}/feedback.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "Excel workbook"}},
)
async def unit_feedback_xlsx(unit_id: Id, session: SessionDep, user: CurrentUser, year: YearQuery = None):
    """The unit's members' yearly feedback forms as an Excel workbook (admin of the unit)."""
    year = year or reports_service.this_year()
    data = await records_service.unit_xlsx(session, unit_id=unit_id, year=year, actor=user)
    return xlsx_response(data, f"feedback-{unit_id}-{year}.xlsx")


@router.get("/orgs/{alliance_id}/member-settings", response_model=MemberSettingsPublic)
async def get_member_settings(alliance_id: Id, session: SessionDep, user: CurrentUser):
    """The alliance's reporting and feedback periods."""
    return await feedback_service.get_settings(session, alliance_id=alliance_id, actor=user)


@router.put("/orgs/{alliance_id}/member-settings", response_model=MemberSettingsPublic)
async def put_member_settings(
    alliance_id: Id, body: MemberSettingsIn, session: SessionDep, user: CurrentUser
):
    """Quarterly service cards and half-yearly re-reports on or off (alliance admin)."""
    return await feedback_service.put_settings(session, alliance_id=alliance_id, data=body, actor=user)
