"""Co-building (共驻共建): agreements between member units and communities, and their scores."""

from fastapi import APIRouter

from app.deps import CurrentUser, SessionDep
from app.models.assessments import ItemisedAssessmentIn
from app.models.base import Id
from app.models.cobuilding import AgreementCreate, AgreementPublic, AssessmentPublic
from app.routers.params import Year, YearQuery
from app.services import assessments as assessments_service
from app.services import cobuilding as cobuilding_service

router = APIRouter(prefix="", tags=["members"])


@router.post("/units/{unit_id}/agreements", response_model=AgreementPublic, status_code=201)
async def create_agreement(unit_id: Id, body: AgreementCreate, session: SessionDep, user: CurrentUser):
    """Record a co-building agreement between the unit and a community (admin of the community)."""
    return await cobuilding_service.create_agreement(session, unit_id=unit_id, data=body, actor=user)


@router.get("/units/{unit_id}/agreements", response_model=list[AgreementPublic])
async def list_agreements(unit_id: Id, session: SessionDep, user: CurrentUser):
    """The unit's co-building agreements you may see."""
    return await cobuilding_service.list_agreements(session, unit_id=unit_id, actor=user)


@router.put("/units/{unit_id}/assessments/{year}", response_model=AssessmentPublic)
async def assess_unit(
    unit_id: Id, year: Year, body: ItemisedAssessmentIn, session: SessionDep, user: CurrentUser
):
    """Score the unit's co-building work for a year item by item with reasons (admin of the community);
    refused once approved. `{community_id, score, reasons}` (one number) is still accepted."""
    return await assessments_service.assess(session, unit_id=unit_id, year=year, data=body, actor=user)


@router.get("/units/{unit_id}/assessments", response_model=list[AssessmentPublic])
async def list_assessments(unit_id: Id, session: SessionDep, user: CurrentUser, year: YearQuery = None):
    """The unit's co-building scores you may see."""
    return await cobuilding_service.list_assessments(session, unit_id=unit_id, actor=user, year=year)
