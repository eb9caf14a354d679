"""Party members reporting to the branch where they live (在职党员双报到)."""

from fastapi import APIRouter

from app.deps import CurrentUser, SessionDep
from app.models.base import Id
from app.models.member_reports import ReportCreate, ReportMove, ReportPublic, ReportReview, ReportStatus
from app.pagination import Page, PageDep
from app.routers.params import YearQuery
from app.services import member_reports as reports_service

router = APIRouter(prefix="", tags=["members"])


@router.post("/member-reports", response_model=ReportPublic, status_code=201)
async def create_report(body: ReportCreate, session: SessionDep, user: CurrentUser):
    """Report to the branch where you live (party members only) → pending."""
    return await reports_service.create_report(session, data=body, actor=user)


@router.get("/member-reports", response_model=Page[ReportPublic])
async def list_reports(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    org_id: Id | None = None,
    status: ReportStatus | None = None,
    year: YearQuery = None,
    mine: bool = False,
):
    """Your own reports (`mine=true`), or the reports of the branches your role covers."""
    items, cursor = await reports_service.list_reports(
        session, actor=user, params=page, org_id=org_id, status=status, year=year, mine=mine
    )
    return Page(items=items, next_cursor=cursor)


@router.get("/member-reports/{report_id}", response_model=ReportPublic)
async def get_report(report_id: Id, session: SessionDep, user: CurrentUser):
    """One report with its history."""
    return await reports_service.get_report(session, report_id=report_id, actor=user)


@router.post("/member-reports/{report_id}/review", response_model=ReportPublic)
async def review_report(report_id: Id, body: ReportReview, session: SessionDep, user: CurrentUser):
    """Approve a report, or reject it with a reason (staff/admin over the branch)."""
    return await reports_service.review_report(session, report_id=report_id, data=body, actor=user)


@router.post("/member-reports/{report_id}/move", response_model=ReportPublic, status_code=201)
async def move_report(report_id: Id, body: ReportMove, session: SessionDep, user: CurrentUser):
    """Move your report to another branch; the old report stays in your history."""
    return await reports_service.move_report(session, report_id=report_id, data=body, actor=user)
