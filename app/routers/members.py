"""Party members reporting to their branch, posts, record cards, feedback forms and co-building."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from app.deps import CurrentUser, SessionDep
from app.models.base import Id
from app.models.members import (
    AgreementCreate,
    AgreementPublic,
    AssessmentIn,
    AssessmentPublic,
    FeedbackPublic,
    MemberSettingsIn,
    MemberSettingsPublic,
    PostClaimPublic,
    PostCreate,
    PostLogCreate,
    PostLogPublic,
    PostPublic,
    RatingIn,
    RecordPublic,
    ReportCreate,
    ReportMove,
    ReportPublic,
    ReportReview,
    ReportStatus,
)
from app.pagination import Page, PageDep
from app.services import cobuilding as cobuilding_service
from app.services import feedback as feedback_service
from app.services import member_reports as reports_service
from app.services import posts as posts_service
from app.services import records as records_service

router = APIRouter(prefix="", tags=["members"])

Year = Annotated[int, Path(ge=2000, le=2100)]
YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---- reports ----


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


# ---- posts ----


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


# ---- record card and feedback ----


@router.get("/members/{user_id}/record", response_model=RecordPublic)
async def get_record(user_id: Id, session: SessionDep, user: CurrentUser, year: YearQuery = None):
    """A member's record card for a year: activities, wishes, shifts, posts, minutes."""
    return await records_service.record_card(
        session, user_id=user_id, year=year or reports_service.this_year(), actor=user
    )


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
    data = await feedback_service.unit_xlsx(session, unit_id=unit_id, year=year, actor=user)
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="feedback-{unit_id}-{year}.xlsx"'},
    )


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


# ---- co-building ----


@router.post("/units/{unit_id}/agreements", response_model=AgreementPublic, status_code=201)
async def create_agreement(unit_id: Id, body: AgreementCreate, session: SessionDep, user: CurrentUser):
    """Record a co-building agreement between the unit and a community (admin of the community)."""
    return await cobuilding_service.create_agreement(session, unit_id=unit_id, data=body, actor=user)


@router.get("/units/{unit_id}/agreements", response_model=list[AgreementPublic])
async def list_agreements(unit_id: Id, session: SessionDep, user: CurrentUser):
    """The unit's co-building agreements you may see."""
    return await cobuilding_service.list_agreements(session, unit_id=unit_id, actor=user)


@router.put("/units/{unit_id}/assessments/{year}", response_model=AssessmentPublic)
async def assess_unit(unit_id: Id, year: Year, body: AssessmentIn, session: SessionDep, user: CurrentUser):
    """Score the unit's co-building work for a year, with reasons (admin of the community)."""
    return await cobuilding_service.assess_unit(session, unit_id=unit_id, year=year, data=body, actor=user)


@router.get("/units/{unit_id}/assessments", response_model=list[AssessmentPublic])
async def list_assessments(unit_id: Id, session: SessionDep, user: CurrentUser, year: YearQuery = None):
    """The unit's co-building scores you may see."""
    return await cobuilding_service.list_assessments(session, unit_id=unit_id, actor=user, year=year)
