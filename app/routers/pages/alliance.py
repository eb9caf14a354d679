"""Alliance-work pages: teams, the 公示 of posts, my service card, a scanned card (扫码为你服务), a station's service log."""

from fastapi import APIRouter, Request

from app.deps import PageUser, SessionDep
from app.models.base import Id
from app.services import alliance_pages
from app.templating import render

router = APIRouter()


@router.get("/teams")
async def teams_page(request: Request, session: SessionDep, user: PageUser):
    """My teams, the teams around me, and setting one up (staff)."""
    context = await alliance_pages.teams(session, user=user)
    return render(request, "alliance/teams.html", context, tab="me")


@router.get("/teams/{team_id}")
async def team_page(team_id: Id, request: Request, session: SessionDep, user: PageUser):
    """One team: members, figures, joining, and the leader's tools."""
    context = await alliance_pages.team(session, team_id=team_id, user=user)
    return render(request, "alliance/team.html", context, tab="me")


@router.get("/demonstration-posts")
async def publicity_page(request: Request, session: SessionDep, user: PageUser, org_id: Id | None = None):
    """公示: who holds which demonstration post and service post in the community (no phones)."""
    context = await alliance_pages.publicity(session, user=user, org_id=org_id)
    return render(request, "alliance/publicity.html", context, tab="home")


@router.get("/card")
async def my_card_page(request: Request, session: SessionDep, user: PageUser, user_id: Id | None = None):
    """My service card (扫码为你服务): the QR to print and my promises; staff open a member's with `user_id`."""
    context = await alliance_pages.my_card(session, user=user, user_id=user_id)
    return render(request, "alliance/card.html", context, tab="me")


@router.get("/m/{code}")
async def scanned_card_page(code: str, request: Request, session: SessionDep, user: PageUser):
    """A scanned card: the member's public profile, promises, and 请他帮忙."""
    context = await alliance_pages.scanned(session, code=code, user=user)
    return render(request, "alliance/member.html", context, tab="home")


@router.get("/stations/{station_id}/services")
async def station_services_page(station_id: Id, request: Request, session: SessionDep, user: PageUser):
    """The station's service log: record services, see totals."""
    context = await alliance_pages.station_services_page(session, station_id=station_id, user=user)
    return render(request, "alliance/station_services.html", context, tab="home")
