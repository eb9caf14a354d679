"""The member unit's page for its service resources (服务资源清单)."""

from fastapi import APIRouter, Request

from app.deps import PageUser, SessionDep
from app.services import resources as resources_service
from app.templating import render

router = APIRouter()


@router.get("/admin/resources")
async def manage_resources(request: Request, session: SessionDep, user: PageUser):
    """A unit's admin or staff publishes and withdraws the services the unit offers."""
    return render(
        request, "resources/manage.html", await resources_service.manage_page(session, user=user), tab="me"
    )
