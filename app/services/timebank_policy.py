"""Time-bank policy per alliance (`timebank_policies`; no row = no limits, served time rounds to 30 min):

- storage cap: credits are never refused (the service was done), but only minutes up to the cap
  may be redeemed on the rewards shelf; what lies above it may only be donated (transferred);
- redeem minimum age: a person must be at least `redeem_min_age` years old by `User.birth_year`
  (`redeem_min_age_hardship` for people marked in hardship) to redeem;
- family transfers: allowed or not, and at most `family_transfer_daily_cap_minutes` a China day;
- rounding of served time: half-up to `rounding_unit_minutes` (30: <15 → 0, 15–44 → 30, 45–74 → 60).
"""

from typing import cast

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import NotFound
from app.models.org import Org
from app.models.timebank import (
    PolicyIn,
    PolicyPublic,
    TimebankHardship,
    TimebankPolicy,
)
from app.models.user import User
from app.permissions import (
    alliance_id,
    belonging_org_id,
    may_act_for,
)
from app.services import alliance_settings, audit
from app.services import orgs as orgs_service

DEFAULT_ROUNDING_UNIT = 30


def round_served_minutes(policy: TimebankPolicy | None, minutes: int) -> int:
    """Served time rounded half-up to the policy's unit (30 by default: 14 → 0, 15 → 30, 45 → 60)."""
    unit = policy.rounding_unit_minutes if policy is not None else DEFAULT_ROUNDING_UNIT
    if minutes <= 0:
        return 0
    if not unit:
        return minutes
    return (minutes + unit // 2) // unit * unit


def spendable_minutes(policy: TimebankPolicy | None, balance: int) -> int:
    """What may be redeemed: the balance up to the storage cap (the rest may only be donated)."""
    if policy is None or policy.storage_cap_minutes is None:
        return balance
    return min(balance, policy.storage_cap_minutes)


# ---- policy ----------------------------------------------------------------------------------


async def policy_for(session: AsyncSession, *, org_id: int | None) -> TimebankPolicy | None:
    """The policy of the alliance over `org_id` (None: no limits, default rounding)."""
    org = await session.get(Org, org_id) if org_id is not None else None
    if org is None:
        return None
    return (
        await session.exec(select(TimebankPolicy).where(TimebankPolicy.alliance_id == alliance_id(org)))
    ).first()


async def policy_of(session: AsyncSession, *, person: User) -> TimebankPolicy | None:
    """The policy that binds a person: their alliance's, read from the node they belong to (their
    locked home, or where they were registered), never from a field they can clear themselves."""
    return await policy_for(session, org_id=belonging_org_id(person))


async def served_minutes_for(session: AsyncSession, *, org_id: int, minutes: int) -> int:
    """Served time at `org_id` rounded by its alliance's policy (for shifts, activities, wishes)."""
    return round_served_minutes(await policy_for(session, org_id=org_id), minutes)


def _policy_public(alliance_id: int, policy: TimebankPolicy | None) -> PolicyPublic:
    if policy is None:
        return PolicyPublic(alliance_id=alliance_id)
    return PolicyPublic(alliance_id=alliance_id, **{k: getattr(policy, k) for k in PolicyIn.model_fields})


async def get_policy(session: AsyncSession, *, org_id: int, actor: User) -> PolicyPublic:
    """The time-bank policy of the alliance over `org_id`."""
    org = await orgs_service.get_org(session, org_id=org_id)
    return _policy_public(alliance_id(org), await policy_for(session, org_id=org.id))


async def set_policy(session: AsyncSession, *, alliance_id: int, data: PolicyIn, actor: User) -> PolicyPublic:
    """Set an alliance's time-bank rules (its admins only)."""
    policy = await alliance_settings.save(
        session,
        model=TimebankPolicy,
        alliance_id=alliance_id,
        values=data.model_dump(),
        actor=actor,
        action="timebank.policy",
    )
    return _policy_public(alliance_id, policy)


async def set_hardship(session: AsyncSession, *, user_id: int, hardship: bool, actor: User) -> bool:
    """Mark or unmark a resident as in hardship (the lower redeem age), by staff over their home."""
    person = await session.get(User, user_id)
    if person is None or not await may_act_for(session, actor_id=cast(int, actor.id), person=person):
        raise NotFound("用户不存在", code="user_not_found")
    row = (await session.exec(select(TimebankHardship).where(TimebankHardship.user_id == user_id))).first()
    if hardship and row is None:
        session.add(TimebankHardship(user_id=user_id, set_by=actor.id))
    elif not hardship and row is not None:
        await session.delete(row)
    await audit.record(
        session,
        actor_id=actor.id,
        action="timebank.hardship",
        object_type="user",
        object_id=user_id,
        org_id=belonging_org_id(person),
        detail={"hardship": hardship},
    )
    await session.commit()
    return hardship
