"""The numbers of a subtree (台账与统计)."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import CurrentUser, SessionDep
from app.models.stats import OrgStats
from app.services import stats as stats_service

router = APIRouter(prefix="/orgs", tags=["stats"])


@router.get("/{org_id}/stats", response_model=OrgStats, response_model_by_alias=True)
async def org_stats(org_id: int, session: SessionDep, user: CurrentUser,
                    from_: Annotated[date | None, Query(alias="from", description="开始日期（含），默认本年1月1日")] = None,
                    to: Annotated[date | None, Query(description="结束日期（含），默认今天")] = None):
    """The subtree's figures for a period: the wish funnel, minutes, people, activities, stations, events."""
    return await stats_service.org_stats(session, org_id=org_id, start=from_, end=to, actor=user)
