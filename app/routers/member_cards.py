"""扫码为你服务: members' personal QR cards, the public profile they open, and asking the member for help."""

from fastapi import APIRouter, Response

from app.deps import CurrentUser, SessionDep
from app.models.base import Id
from app.models.member_cards import CardPublic, CardUpdate, HelpRequest, PublicProfile
from app.models.wishes import WishPublic
from app.routers.svg import SVG, SVG_RESPONSES
from app.services import member_cards as cards_service

router = APIRouter(tags=["members"])


@router.get("/members/{user_id}/card", response_model=CardPublic)
async def get_card(user_id: Id, session: SessionDep, user: CurrentUser):
    """The member's service card (扫码为你服务): `{code, url}` and their promises (the member or staff)."""
    return await cards_service.get_card(session, user_id=user_id, actor=user)


@router.get("/members/{user_id}/card.svg", response_class=Response, responses=SVG_RESPONSES)
async def get_card_svg(user_id: Id, session: SessionDep, user: CurrentUser):
    """The card's QR code as SVG, to print."""
    return Response(await cards_service.card_svg(session, user_id=user_id, actor=user), media_type=SVG)


@router.put("/members/{user_id}/card", response_model=CardPublic)
async def set_commitments(user_id: Id, body: CardUpdate, session: SessionDep, user: CurrentUser):
    """The member sets the promises (承诺事项) their card shows."""
    return await cards_service.set_commitments(session, user_id=user_id, data=body, actor=user)


@router.get("/member-cards/{code}", response_model=PublicProfile)
async def scanned_card(code: str, session: SessionDep, user: CurrentUser):
    """What a scanned card shows: the member's public profile (phone masked), skills, promises."""
    return await cards_service.profile(session, code=code, viewer=user)


@router.post("/member-cards/{code}/help", response_model=WishPublic, status_code=201)
async def ask_for_help(code: str, body: HelpRequest, session: SessionDep, user: CurrentUser):
    """请他帮忙: post a wish asked of this member (or their team); staff review it like any wish."""
    return await cards_service.ask_for_help(session, code=code, data=body, actor=user)
