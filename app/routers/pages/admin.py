"""Staff console pages that span domains: the numbers with charts and the exports."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.deps import PageUser, SessionDep
from app.errors import Forbidden
from app.models.base import Day, Id
from app.services import pages as pages_service
from app.services import stats as stats_service
from app.templating import render

router = APIRouter()


@router.get("/admin/stats")
async def stats_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    org_id: Annotated[Id | None, Query()] = None,
    from_: Annotated[Day | None, Query(alias="from")] = None,
    to: Annotated[Day | None, Query()] = None,
):
    """The numbers of a subtree over a period, with a funnel chart and the exports."""
    request.state.user = user
    roles = (await pages_service.admin(session, user=user))["roles"]
    if not roles:
        raise Forbidden("工作台仅对社区、小区工作人员开放")
    org_id = org_id or roles[0]["org_id"]
    figures = await stats_service.org_stats(session, org_id=org_id, start=from_, end=to, actor=user)
    return render(request, "admin/stats.html", {"roles": roles, "stats": figures, "org_id": org_id}, tab="me")
