"""Units that deliver: agreement commitments with progress, the itemised assessment, its approval and ranking."""

from fastapi import APIRouter, Response

from app.deps import CurrentUser, SessionDep
from app.models.assessments import (
    AssessmentItemPublic,
    AssessmentItemsIn,
    CommitmentCreate,
    CommitmentPublic,
    FigureValue,
    RankingRow,
    ScoringForm,
    UnitProgress,
)
from app.models.base import Id
from app.models.cobuilding import AssessmentPublic
from app.routers.params import Year, YearQuery
from app.services import assessments as assessments_service
from app.services import commitments as commitments_service
from app.services import member_reports as reports_service
from app.xlsx import XLSX, xlsx_response

router = APIRouter(prefix="", tags=["members"])


@router.post(
    "/units/{unit_id}/agreements/{agreement_id}/commitments", response_model=CommitmentPublic, status_code=201
)
async def add_commitment(
    unit_id: Id, agreement_id: Id, body: CommitmentCreate, session: SessionDep, user: CurrentUser
):
    """Add a commitment (resource, service or project, a target per period) to an agreement (community admin)."""
    return await commitments_service.add_commitment(
        session, unit_id=unit_id, agreement_id=agreement_id, data=body, actor=user
    )


@router.get("/units/{unit_id}/agreements/{agreement_id}/commitments", response_model=list[CommitmentPublic])
async def list_commitments(unit_id: Id, agreement_id: Id, session: SessionDep, user: CurrentUser):
    """An agreement's commitments with this period's progress, counted from the records."""
    return await commitments_service.list_commitments(
        session, unit_id=unit_id, agreement_id=agreement_id, actor=user
    )


@router.get("/assessment-sources", response_model=list[FigureValue])
async def assessment_sources(user: CurrentUser):
    """The automatic figures an assessment item may name as its `source`."""
    return assessments_service.sources()


@router.get("/orgs/{org_id}/assessment-items", response_model=list[AssessmentItemPublic])
async def get_assessment_items(org_id: Id, session: SessionDep, user: CurrentUser):
    """The alliance's assessment items and weights."""
    return await assessments_service.get_items(session, org_id=org_id, actor=user)


@router.put("/orgs/{org_id}/assessment-items", response_model=list[AssessmentItemPublic])
async def set_assessment_items(org_id: Id, body: AssessmentItemsIn, session: SessionDep, user: CurrentUser):
    """Set the alliance's assessment items; weights sum to 100 (alliance admin)."""
    return await assessments_service.set_items(session, org_id=org_id, data=body, actor=user)


@router.get("/units/{unit_id}/assessments/{year}/form", response_model=ScoringForm)
async def scoring_form(
    unit_id: Id, year: Year, session: SessionDep, user: CurrentUser, community_id: Id | None = None
):
    """The items to score with the unit's automatic figures and the scores given so far (community admin)."""
    return await assessments_service.scoring_form(
        session, unit_id=unit_id, year=year, community_id=community_id, actor=user
    )


@router.post("/units/{unit_id}/assessments/{year}/approve", response_model=list[AssessmentPublic])
async def approve_assessment(
    unit_id: Id, year: Year, session: SessionDep, user: CurrentUser, community_id: Id | None = None
):
    """Approve (审定) the unit's scores for the year, or one community's (alliance admin); no edits after."""
    return await assessments_service.approve(
        session, unit_id=unit_id, year=year, community_id=community_id, actor=user
    )


@router.get("/orgs/{org_id}/assessments", response_model=list[RankingRow])
async def assessment_ranking(org_id: Id, session: SessionDep, user: CurrentUser, year: YearQuery = None):
    """The units serving the org ranked by their year's co-building score (staff over it)."""
    year = year or reports_service.this_year()
    return await assessments_service.ranking(session, org_id=org_id, year=year, actor=user)


@router.get(
    "/orgs/{org_id}/assessments.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "Excel workbook"}},
)
async def assessment_ranking_xlsx(org_id: Id, session: SessionDep, user: CurrentUser, year: YearQuery = None):
    """The yearly ranking as an Excel workbook."""
    year = year or reports_service.this_year()
    data = await assessments_service.ranking_xlsx(session, org_id=org_id, year=year, actor=user)
    return xlsx_response(data, f"{year}年共驻共建考核排名.xlsx", ascii_name=f"assessment-{year}.xlsx")


@router.get("/units/{unit_id}/progress", response_model=UnitProgress)
async def unit_progress(unit_id: Id, session: SessionDep, user: CurrentUser, year: YearQuery = None):
    """A unit's figures, commitments with progress and scores for a year (the unit's own people, alliance staff)."""
    year = year or reports_service.this_year()
    return await assessments_service.unit_progress(session, unit_id=unit_id, year=year, actor=user)
