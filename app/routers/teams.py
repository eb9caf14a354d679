"""Volunteer teams (志愿服务队, 党员先锋队): set up, listed, joined, approved, left."""

from fastapi import APIRouter, Response

from app.deps import CurrentUser, SessionDep
from app.models.base import Id
from app.models.teams import TeamCreate, TeamInvite, TeamMemberPublic, TeamPublic, TeamUpdate
from app.pagination import Page, PageDep
from app.services import team_members
from app.services import teams as teams_service

router = APIRouter(prefix="/teams", tags=["teams"])


@router.post("", response_model=TeamPublic, status_code=201)
async def create_team(body: TeamCreate, session: SessionDep, user: CurrentUser):
    """Set up a team on a node (staff over `org_id`); `kind` ∈ volunteer, vanguard, other."""
    return await teams_service.create_team(session, data=body, actor=user)


@router.get("", response_model=Page[TeamPublic])
async def list_teams(
    session: SessionDep, user: CurrentUser, page: PageDep, org_id: Id | None = None, mine: bool = False
):
    """Teams on a node and below (default: your alliance); `mine=true` keeps the teams you belong to."""
    items, cursor = await teams_service.list_teams(session, actor=user, params=page, org_id=org_id, mine=mine)
    return Page(items=items, next_cursor=cursor)


@router.get("/{team_id}", response_model=TeamPublic)
async def get_team(team_id: Id, session: SessionDep, user: CurrentUser):
    """One team with `members[]` and `stats` (members, wishes done, minutes and hours served)."""
    return await teams_service.get_team_view(session, team_id=team_id, actor=user)


@router.patch("/{team_id}", response_model=TeamPublic)
async def update_team(team_id: Id, body: TeamUpdate, session: SessionDep, user: CurrentUser):
    """Change a team (leader or staff; only staff change the leader or close it)."""
    return await teams_service.update_team(session, team_id=team_id, data=body, actor=user)


@router.post("/{team_id}/join", response_model=TeamMemberPublic)
async def join_team(team_id: Id, session: SessionDep, user: CurrentUser):
    """Ask to join (→ pending) or accept the leader's invitation (→ active)."""
    return await team_members.join(session, team_id=team_id, actor=user)


@router.post("/{team_id}/invite", response_model=TeamMemberPublic, status_code=201)
async def invite_member(team_id: Id, body: TeamInvite, session: SessionDep, user: CurrentUser):
    """Invite someone by phone (leader or staff); they join by accepting."""
    return await team_members.invite(session, team_id=team_id, phone=body.phone, actor=user)


@router.post("/{team_id}/members/{user_id}/approve", response_model=TeamMemberPublic)
async def approve_member(team_id: Id, user_id: Id, session: SessionDep, user: CurrentUser):
    """Accept a request to join (leader or staff): pending → active."""
    return await team_members.approve(session, team_id=team_id, user_id=user_id, actor=user)


@router.delete("/{team_id}/members/{user_id}", status_code=204, response_class=Response)
async def remove_member(team_id: Id, user_id: Id, session: SessionDep, user: CurrentUser):
    """Remove a member (leader or staff) or leave the team yourself."""
    await team_members.remove(session, team_id=team_id, user_id=user_id, actor=user)
    return Response(status_code=204)
