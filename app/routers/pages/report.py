"""Pages: a party member's report to their branch (/report) and the staff console's member section."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.deps import PageUser, SessionDep
from app.models.base import Id
from app.models.feedback import RATING_LABELS
from app.models.member_reports import MEMBER_TYPE_LABELS, REPORT_STATUS_LABELS
from app.services import feedback as feedback_service
from app.services import member_reports as reports_service
from app.services import records as records_service
from app.templating import render

router = APIRouter()

LABELS = {
    "status": REPORT_STATUS_LABELS,
    "rating": RATING_LABELS,
    "member_type": MEMBER_TYPE_LABELS,
    "action": {"report": "提交报到", "approve": "审核通过", "reject": "审核未通过", "move": "转移报到"},
}
YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]


@router.get("/report")
async def report_page(request: Request, session: SessionDep, user: PageUser):
    """Report to the branch, claim posts, see my record card."""
    request.state.user = user
    context = await records_service.member_page(session, user=user)
    return render(request, "report/report.html", {**context, "labels": LABELS}, tab="me")


@router.get("/admin/reports")
async def admin_reports(
    request: Request, session: SessionDep, user: PageUser, year: YearQuery = None, unit_id: Id | None = None
):
    """Review reports, set up posts, rate members; the unit view for unit admins."""
    request.state.user = user
    context = await feedback_service.admin_page(
        session, user=user, year=year or reports_service.this_year(), unit_id=unit_id
    )
    return render(request, "report/admin.html", {**context, "labels": LABELS}, tab="me")


@router.get("/admin/reports/members/{user_id}")
async def member_record(
    request: Request, user_id: Id, session: SessionDep, user: PageUser, year: YearQuery = None
):
    """A member's record card, for their branch's staff and their employer's admin (anyone else 404)."""
    request.state.user = user
    card = await records_service.record_card(
        session, user_id=user_id, year=year or reports_service.this_year(), actor=user
    )
    return render(request, "report/record.html", {"card": card, "labels": LABELS}, tab="me")


@router.get("/admin/reports/units/{unit_id}/print")
async def print_unit_forms(
    request: Request, unit_id: Id, session: SessionDep, user: PageUser, year: YearQuery = None
):
    """The unit's members' feedback forms, one A4 page each, ready to print."""
    request.state.user = user
    context = await records_service.unit_print(
        session, unit_id=unit_id, year=year or reports_service.this_year(), actor=user
    )
    return render(request, "report/print.html", {**context, "labels": LABELS})
