"""Staff console pages that span domains: the numbers with charts, the 数据大屏, the records behind each
figure, and the exports."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.deps import SessionDep, StaffPageUser
from app.models.base import Day, Id
from app.services import stats_pages
from app.templating import render

router = APIRouter()

OrgQ = Annotated[Id | None, Query()]
FromQ = Annotated[Day | None, Query(alias="from")]
ToQ = Annotated[Day | None, Query()]


@router.get("/admin/stats")
async def stats_page(
    request: Request,
    session: SessionDep,
    user: StaffPageUser,
    org_id: OrgQ = None,
    from_: FromQ = None,
    to: ToQ = None,
):
    """The numbers of a subtree over a period: trend and comparison charts, drill-down, the exports."""
    context = await stats_pages.dashboard(session, user=user, org_id=org_id, start=from_, end=to)
    return render(request, "admin/stats.html", context, tab="me")


@router.get("/admin/stats/screen")
async def stats_screen(
    request: Request,
    session: SessionDep,
    user: StaffPageUser,
    org_id: OrgQ = None,
    from_: FromQ = None,
    to: ToQ = None,
):
    """数据大屏: the same numbers, large and dark, for the alliance office's TV (refreshes itself)."""
    context = await stats_pages.screen(session, user=user, org_id=org_id, start=from_, end=to)
    return render(request, "admin/stats_screen.html", context)


@router.get("/admin/stats/records")
async def stats_records_page(
    request: Request,
    session: SessionDep,
    user: StaffPageUser,
    figure: Annotated[str, Query(max_length=40)],
    org_id: OrgQ = None,
    from_: FromQ = None,
    to: ToQ = None,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
):
    """The records behind one figure: exactly those it counts, same node, period and definition."""
    context = await stats_pages.records(
        session, user=user, figure=figure, org_id=org_id, start=from_, end=to, cursor=cursor
    )
    return render(request, "admin/stats_records.html", context, tab="me")
