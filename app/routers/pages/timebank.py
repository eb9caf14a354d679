"""The time-bank pages: my balance and statement, and the station master's rewards shelf."""

from fastapi import APIRouter, Request

from app.deps import PageUser, SessionDep
from app.services import timebank as timebank_service
from app.services import timebank_rewards
from app.templating import render

router = APIRouter()


@router.get("/timebank")
async def timebank_page(request: Request, session: SessionDep, user: PageUser):
    """Balance in hours, star level, statement, donate to family, the rewards shelf."""
    request.state.user = user
    return render(request, "timebank/index.html", await timebank_service.page(session, user=user), tab="me")


@router.get("/timebank/rewards/manage")
async def rewards_manage_page(request: Request, session: SessionDep, user: PageUser):
    """The station master's rewards shelf (爱心超市): add, restock, take off, redeem for a resident."""
    request.state.user = user
    return render(
        request, "timebank/manage.html", await timebank_rewards.manage_page(session, user=user), tab="me"
    )
