"""The time bank: balance, statement, transfers, grants, the rewards shelf, policy and the audit."""

from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse

from app.deps import CurrentUser, SessionDep
from app.models.base import Id
from app.models.timebank import (
    AuditPublic,
    BalancePublic,
    EntryPublic,
    GrantIn,
    GrantPublic,
    HandOverIn,
    PolicyIn,
    PolicyPublic,
    RedeemIn,
    RedemptionPublic,
    RewardIn,
    RewardPublic,
    RewardUpdate,
    TransferIn,
    TransferPublic,
    VoucherPublic,
    YearTotal,
)
from app.pagination import Page, PageDep
from app.services import idempotency, timebank_policy, timebank_rewards
from app.services import timebank as timebank_service

router = APIRouter(prefix="/timebank", tags=["timebank"])

IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", description="每次操作唯一的请求标识；重试时保持不变")
]


def _stored(stored: idempotency.Stored) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if stored.replayed else None
    return JSONResponse(stored.body, status_code=stored.status_code, headers=headers)


@router.get("/me", response_model=BalancePublic)
async def my_balance(session: SessionDep, user: CurrentUser):
    """My balance, earned and spent minutes and star level."""
    return await timebank_service.balance(session, user=user)


@router.get("/me/entries", response_model=Page[EntryPublic])
async def my_entries(session: SessionDep, user: CurrentUser, page: PageDep):
    """My statement, newest first."""
    items, cursor = await timebank_service.statement(session, user=user, params=page)
    return Page(items=items, next_cursor=cursor)


@router.get("/me/years", response_model=list[YearTotal])
async def my_years(session: SessionDep, user: CurrentUser):
    """My earned and spent minutes per year."""
    return await timebank_service.yearly_totals(session, user=user)


@router.get("/orgs/{org_id}/years", response_model=list[YearTotal])
async def org_years(org_id: Id, session: SessionDep, user: CurrentUser):
    """Minutes earned and redeemed in an org's subtree per year (staff over it)."""
    return await timebank_service.org_yearly_totals(session, org_id=org_id, actor=user)


@router.post("/transfers", response_model=TransferPublic, status_code=201)
async def transfer(
    body: TransferIn, session: SessionDep, user: CurrentUser, idempotency_key: IdempotencyKey = None
):
    """Donate minutes to a family member by phone (needs an Idempotency-Key)."""
    return _stored(
        await timebank_service.transfer(session, data=body, idempotency_key=idempotency_key, actor=user)
    )


@router.post("/grants", response_model=GrantPublic, status_code=201)
async def grant(
    body: GrantIn, session: SessionDep, user: CurrentUser, idempotency_key: IdempotencyKey = None
):
    """An admin's manual credit; negative minutes correct, never below zero (needs an Idempotency-Key)."""
    return _stored(
        await timebank_service.grant(session, data=body, idempotency_key=idempotency_key, actor=user)
    )


@router.get("/audit", response_model=AuditPublic)
async def audit(session: SessionDep, user: CurrentUser):
    """Prove the ledger: entries sum to zero, balances match, the hash chain verifies (alliance admin)."""
    return await timebank_service.audit_ledger(session, actor=user)


@router.get("/policy", response_model=PolicyPublic)
async def get_policy(org_id: Id, session: SessionDep, user: CurrentUser):
    """The time-bank rules of the alliance over an org."""
    return await timebank_policy.get_policy(session, org_id=org_id, actor=user)


@router.put("/policy/{alliance_id}", response_model=PolicyPublic)
async def set_policy(alliance_id: Id, body: PolicyIn, session: SessionDep, user: CurrentUser):
    """Set an alliance's storage cap, redeem ages, transfer limits and rounding (its admins)."""
    return await timebank_policy.set_policy(session, alliance_id=alliance_id, data=body, actor=user)


@router.put("/hardship/{user_id}", response_model=bool)
async def set_hardship(
    user_id: Id, hardship: Annotated[bool, Query()], session: SessionDep, user: CurrentUser
):
    """Mark a resident as in hardship, so the lower redeem age applies (staff over their home)."""
    return await timebank_policy.set_hardship(session, user_id=user_id, hardship=hardship, actor=user)


@router.get("/rewards", response_model=Page[RewardPublic])
async def list_rewards(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    org_id: Id | None = None,
    station_id: Id | None = None,
    all: bool = False,
):
    """Rewards on the shelves in a subtree (default: my community); `all=true` adds inactive ones for staff."""
    items, cursor = await timebank_rewards.list_rewards(
        session, org_id=org_id, station_id=station_id, include_inactive=all, params=page, actor=user
    )
    return Page(items=items, next_cursor=cursor)


@router.post("/rewards", response_model=RewardPublic, status_code=201)
async def create_reward(body: RewardIn, session: SessionDep, user: CurrentUser):
    """Put a reward on a shelf (staff over the org)."""
    return await timebank_rewards.create_reward(session, data=body, actor=user)


@router.patch("/rewards/{reward_id}", response_model=RewardPublic)
async def update_reward(reward_id: Id, body: RewardUpdate, session: SessionDep, user: CurrentUser):
    """Restock, reprice or take a reward off the shelf (staff over its org)."""
    return await timebank_rewards.update_reward(session, reward_id=reward_id, data=body, actor=user)


@router.post("/rewards/{reward_id}/redeem", response_model=RedemptionPublic, status_code=201)
async def redeem(
    reward_id: Id,
    session: SessionDep,
    user: CurrentUser,
    body: RedeemIn | None = None,
    idempotency_key: IdempotencyKey = None,
):
    """Redeem a reward with minutes; staff may redeem for a resident by phone (needs an Idempotency-Key)."""
    return _stored(
        await timebank_rewards.redeem(
            session, reward_id=reward_id, data=body or RedeemIn(), idempotency_key=idempotency_key, actor=user
        )
    )


@router.get("/redemptions", response_model=list[VoucherPublic])
async def my_redemptions(session: SessionDep, user: CurrentUser):
    """Your redemptions (我的兑换), newest first: what to collect at which station, with the pickup code."""
    return await timebank_rewards.my_vouchers(session, user=user)


@router.post("/redemptions/handover", response_model=VoucherPublic)
async def hand_over(body: HandOverIn, session: SessionDep, user: CurrentUser):
    """Staff over the shelf hand the thing over against the resident's 8-digit pickup code (once)."""
    return await timebank_rewards.hand_over(session, code=body.code, actor=user)
