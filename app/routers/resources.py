"""Member units' service resources (服务资源清单)."""

from fastapi import APIRouter

from app.deps import CurrentUser, SessionDep
from app.models.base import Id
from app.models.resources import ResourceCreate, ResourcePublic
from app.pagination import Page, PageDep
from app.services import resources as resources_service

router = APIRouter(prefix="/resources", tags=["resources"])


@router.post("", response_model=ResourcePublic, status_code=201)
async def create_resource(body: ResourceCreate, session: SessionDep, user: CurrentUser):
    """Publish a service your unit offers the communities it serves."""
    return await resources_service.create_resource(session, data=body, actor=user)


@router.get("", response_model=Page[ResourcePublic])
async def list_resources(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    unit_id: Id | None = None,
    community_id: Id | None = None,
    category: str | None = None,
):
    """Services on offer, by unit, by community served, or by category."""
    items, cursor = await resources_service.list_resources(
        session, actor=user, params=page, unit_id=unit_id, community_id=community_id, category=category
    )
    return Page(items=items, next_cursor=cursor)


@router.post("/{resource_id}/withdraw", response_model=ResourcePublic)
async def withdraw_resource(resource_id: Id, session: SessionDep, user: CurrentUser):
    """Stop offering a service (it stays on record)."""
    return await resources_service.withdraw_resource(session, resource_id=resource_id, actor=user)
