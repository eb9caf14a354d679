"""Staff console pages that span domains: the numbers with charts and the exports."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.deps import SessionDep, StaffPageUser
from app.models.base import Day, Id
from app.services import pages as pages_service
from app.templating import render

router = APIRouter()


@router.get("/admin/stats")
async def stats_page(
    request: Request,
    session: SessionDep,
    user: StaffPageUser,
    org_id: Annotated[Id | None, Query()] = None,
    from_: Annotated[Day | None, Query(alias="from")] = None,
    to: Annotated[Day | None, Query()] = None,
):
    """The numbers of a subtree over a period, with a funnel chart and the exports."""
    context = await pages_service.stats(session, user=user, org_id=org_id, start=from_, end=to)
    return render(request, "admin/stats.html", context, tab="me")
