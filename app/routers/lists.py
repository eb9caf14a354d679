"""The four lists (四项清单) of a subtree and period, as JSON pages and as Excel workbooks."""

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.deps import CurrentUser, ReportSessionDep
from app.models.base import Day, Id
from app.models.lists import ClaimRow, NeedRow, ResourceRow, ResultRow
from app.pagination import Page, PageDep
from app.services import lists as lists_service
from app.xlsx import XLSX, xlsx_response

router = APIRouter(prefix="/orgs", tags=["lists"])

From = Annotated[Day | None, Query(alias="from", description="开始日期（含），默认本年1月1日")]
To = Annotated[Day | None, Query(description="结束日期（含），默认今天")]
XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {XLSX: {}}, "description": "Excel 工作簿：一行表头，每项一行"}
}


async def _page(kind, session, user, org_id, page, start, end):
    items, cursor = await lists_service.list_page(
        session, kind=kind, org_id=org_id, actor=user, params=page, start=start, end=end
    )
    return Page(items=items, next_cursor=cursor)


class ListKind(StrEnum):
    resources = "resources"
    needs = "needs"
    claims = "claims"
    results = "results"


@router.get("/{org_id}/lists/{kind}.xlsx", response_class=Response, responses=XLSX_RESPONSE)
async def list_xlsx(
    org_id: Id,
    kind: ListKind,
    session: ReportSessionDep,
    user: CurrentUser,
    from_: From = None,
    to: To = None,
):
    """One of the four lists as an Excel workbook (资源清单、需求清单、认领项目清单、验收结果清单)."""
    data, filename = await lists_service.workbook(
        session, kind=kind.value, org_id=org_id, actor=user, start=from_, end=to
    )
    return xlsx_response(data, filename, ascii_name=f"{kind.value}.xlsx")


@router.get("/{org_id}/lists/resources", response_model=Page[ResourceRow])
async def resources_list(
    org_id: Id, session: ReportSessionDep, user: CurrentUser, page: PageDep, from_: From = None, to: To = None
):
    """服务资源清单: the services offered by the member units serving this subtree."""
    return await _page("resources", session, user, org_id, page, from_, to)


@router.get("/{org_id}/lists/needs", response_model=Page[NeedRow])
async def needs_list(
    org_id: Id, session: ReportSessionDep, user: CurrentUser, page: PageDep, from_: From = None, to: To = None
):
    """需求清单: every wish posted in the period, whatever its state."""
    return await _page("needs", session, user, org_id, page, from_, to)


@router.get("/{org_id}/lists/claims", response_model=Page[ClaimRow])
async def claims_list(
    org_id: Id, session: ReportSessionDep, user: CurrentUser, page: PageDep, from_: From = None, to: To = None
):
    """认领项目清单: every claim made in the period, with its promised date and outcome."""
    return await _page("claims", session, user, org_id, page, from_, to)


@router.get("/{org_id}/lists/results", response_model=Page[ResultRow])
async def results_list(
    org_id: Id, session: ReportSessionDep, user: CurrentUser, page: PageDep, from_: From = None, to: To = None
):
    """验收结果清单: wishes verified in the period, with rating, comment and credited minutes."""
    return await _page("results", session, user, org_id, page, from_, to)
