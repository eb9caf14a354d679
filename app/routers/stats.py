"""The numbers of a subtree (台账与统计)."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app import clock
from app.deps import CurrentUser, ReportSessionDep
from app.models.base import Day, Id
from app.models.stats import FigureRecords, OrgStats, StatsCuts, UnitStats
from app.pagination import PageDep
from app.routers.params import YearQuery
from app.services import stats as stats_service
from app.services import stats_cuts, stats_records
from app.xlsx import XLSX, xlsx_response

router = APIRouter(prefix="/orgs", tags=["stats"])

FromQ = Annotated[Day | None, Query(alias="from", description="开始日期（含），默认本年1月1日")]
ToQ = Annotated[Day | None, Query(description="结束日期（含），默认今天")]


@router.get("/{org_id}/stats", response_model=OrgStats, response_model_by_alias=True)
async def org_stats(
    org_id: Id, session: ReportSessionDep, user: CurrentUser, from_: FromQ = None, to: ToQ = None
):
    """The subtree's figures for a period: the wish funnel, minutes, people, activities, stations, events."""
    return await stats_service.org_stats(session, org_id=org_id, start=from_, end=to, actor=user)


@router.get("/{org_id}/stats/cuts", response_model=StatsCuts, response_model_by_alias=True)
async def org_stats_cuts(
    org_id: Id, session: ReportSessionDep, user: CurrentUser, from_: FromQ = None, to: ToQ = None
):
    """The subtree's figures by child node, month, category, member type and employer unit; rankings; timings."""
    return await stats_cuts.cuts(session, org_id=org_id, start=from_, end=to, actor=user)


@router.get("/{org_id}/stats/records", response_model=FigureRecords, response_model_by_alias=True)
async def org_stats_records(
    org_id: Id,
    session: ReportSessionDep,
    user: CurrentUser,
    page: PageDep,
    figure: Annotated[str, Query(max_length=40, description="指标字段，如 wishes.verified、minutes_served")],
    from_: FromQ = None,
    to: ToQ = None,
):
    """The records behind one figure (same subtree, period and definition): `total` equals the figure
    (`minutes` for a time figure); names shown, phones masked; `cursor` pages on."""
    return await stats_records.figure_records(
        session, figure=figure, org_id=org_id, start=from_, end=to, params=page, actor=user
    )


@router.get("/{org_id}/stats.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
async def org_stats_xlsx(
    org_id: Id, session: ReportSessionDep, user: CurrentUser, from_: FromQ = None, to: ToQ = None
):
    """The same figures as an Excel workbook (统计台账)."""
    figures = await stats_service.org_stats(session, org_id=org_id, start=from_, end=to, actor=user)
    data = await stats_service.stats_workbook(figures)
    return xlsx_response(data, f"stats-{org_id}-{figures.from_}-{figures.to}.xlsx")


@router.get("/{org_id}/stats/yearly.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
async def org_yearly_xlsx(org_id: Id, session: ReportSessionDep, user: CurrentUser, year: YearQuery = None):
    """The node's yearly 台账 as one workbook: the figures, and a sheet per cut (下级、月份、类别、党员类型、
    共建单位), the most active volunteers and the timings."""
    year = year or clock.today().year
    data, name = await stats_cuts.yearly_report(session, org_id=org_id, year=year, actor=user)
    return xlsx_response(data, f"{name}{year}年度台账.xlsx", ascii_name=f"yearly-{org_id}-{year}.xlsx")


units_router = APIRouter(prefix="/units", tags=["stats"])


@units_router.get("/{unit_id}/stats", response_model=UnitStats, response_model_by_alias=True)
async def unit_stats(
    unit_id: Id, session: ReportSessionDep, user: CurrentUser, from_: FromQ = None, to: ToQ = None
):
    """A member unit's own figures: dispatched wishes done, its members' service, activities hosted, score."""
    return await stats_cuts.unit_stats(session, unit_id=unit_id, start=from_, end=to, actor=user)
