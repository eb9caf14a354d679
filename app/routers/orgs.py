"""The organisation tree and roles on it."""

from fastapi import APIRouter, Response

from app.deps import CurrentUser, SessionDep
from app.models.base import Id
from app.models.org import (
    OrgCreate,
    OrgPublic,
    RoleAssign,
    RoleAssigned,
    UnitCommunityIn,
    UnitCommunityPublic,
)
from app.pagination import Page, PageDep
from app.services import orgs as orgs_service

router = APIRouter(prefix="/orgs", tags=["orgs"])


@router.post("", response_model=OrgPublic, status_code=201)
async def create_org(body: OrgCreate, session: SessionDep, user: CurrentUser):
    """Add a community, compound, grid or member unit under a node you administer."""
    return await orgs_service.create_org(session, data=body, actor=user)


@router.get("/{org_id}", response_model=OrgPublic)
async def get_org(org_id: Id, session: SessionDep, user: CurrentUser):
    """One node of the tree."""
    return await orgs_service.get_org(session, org_id=org_id)


@router.get("/{org_id}/children", response_model=Page[OrgPublic])
async def list_children(org_id: Id, session: SessionDep, user: CurrentUser, page: PageDep):
    """The nodes directly under this one."""
    items, cursor = await orgs_service.list_children(session, org_id=org_id, params=page)
    return Page(items=items, next_cursor=cursor)


@router.post("/{org_id}/roles", response_model=RoleAssigned, status_code=201)
async def assign_role(org_id: Id, body: RoleAssign, session: SessionDep, user: CurrentUser):
    """Make someone admin or staff of this node (and its subtree)."""
    role = await orgs_service.assign_role(
        session, org_id=org_id, phone=body.phone, role=body.role, actor=user
    )
    return RoleAssigned(user_id=role.user_id, org_id=role.org_id, role=role.role)


@router.delete("/{org_id}/roles/{user_id}", status_code=204)
async def remove_role(org_id: Id, user_id: Id, session: SessionDep, user: CurrentUser):
    """Take someone's role on this node away."""
    await orgs_service.remove_role(session, org_id=org_id, user_id=user_id, actor=user)
    return Response(status_code=204)


@router.post("/{unit_id}/communities", response_model=UnitCommunityPublic, status_code=201)
async def assign_unit(unit_id: Id, body: UnitCommunityIn, session: SessionDep, user: CurrentUser):
    """Assign a member unit to a community (共驻共建)."""
    row = await orgs_service.assign_unit(session, unit_id=unit_id, community_id=body.community_id, actor=user)
    return UnitCommunityPublic(unit_id=row.unit_id, community_id=row.community_id)
