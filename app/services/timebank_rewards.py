"""The rewards shelf (爱心超市): rewards stations offer for time-bank minutes, and redeeming them."""

import secrets
from typing import cast

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.models.org import Org
from app.models.stations import Station
from app.models.timebank import (
    AccountKind,
    RedeemIn,
    Redemption,
    RedemptionPublic,
    Reward,
    RewardIn,
    RewardPublic,
    RewardUpdate,
    TimebankHardship,
    TimebankPolicy,
    TxnKind,
    VoucherPublic,
)
from app.models.user import User
from app.pagination import PageParams, paginate
from app.permissions import (
    alliance_path_of,
    belongs_in_alliance_of,
    covered_by_role,
    has_role_over,
    in_subtree,
    is_within,
    may_act_for,
    orgs_with_role,
    published_to,
    require_role_over,
)
from app.services import audit, ledger, lookups
from app.services import idempotency as idem
from app.services import orgs as orgs_service
from app.services import users as users_service
from app.services.crypto import mask_name
from app.services.timebank_policy import policy_for, policy_of, spendable_minutes

# ---- the rewards shelf (爱心超市) ------------------------------------------------------------------


def _reward_public(r: Reward) -> RewardPublic:
    return RewardPublic(
        id=cast(int, r.id),
        org_id=r.org_id,
        station_id=r.station_id,
        name=r.name,
        description=r.description,
        price_minutes=r.price_minutes,
        stock=r.stock,
        active=r.active,
    )


async def list_rewards(
    session: AsyncSession,
    *,
    org_id: int | None,
    station_id: int | None,
    include_inactive: bool,
    params: PageParams,
    actor: User,
) -> tuple[list[RewardPublic], str | None]:
    """Rewards on the shelves in a subtree (default: the person's community), cheapest ids first."""
    if org_id is None:
        if actor.home_org_id is None:
            return [], None
        org_id = await ledger.issuer_org_id(session, org_id=actor.home_org_id)
    org = await orgs_service.get_org(session, org_id=org_id)
    stmt = select(Reward).where(in_subtree(Reward.org_id, org.path))
    seen = published_to(actor, await alliance_path_of(session, actor), Reward.org_id)
    if seen is not None:  # another alliance's shelf is not theirs (minutes are spent where they belong)
        stmt = stmt.where(seen)
    if station_id is not None:
        stmt = stmt.where(Reward.station_id == station_id)
    if include_inactive:
        stmt = stmt.where(covered_by_role(cast(int, actor.id), Reward.org_id))
    else:
        stmt = stmt.where(col(Reward.active).is_(True))
    rows, cursor = await paginate(session, stmt, Reward.id, params, newest_first=False)
    return [_reward_public(r) for r in rows], cursor


async def create_reward(session: AsyncSession, *, data: RewardIn, actor: User) -> RewardPublic:
    """Put a reward on a shelf (staff over the org)."""
    org = await orgs_service.get_org(session, org_id=data.org_id)
    await require_role_over(session, user_id=cast(int, actor.id), org_id=data.org_id)
    if data.station_id is not None:
        station = await session.get(Station, data.station_id)
        station_org = await session.get(Org, station.org_id) if station else None
        if station_org is None or not is_within(station_org, org):
            raise ValidationFailed("请选择本组织下的驿站", code="invalid_station")
    reward = Reward(**data.model_dump(), created_by=actor.id)
    session.add(reward)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action="timebank.reward.create",
        object_type="reward",
        object_id=reward.id,
        org_id=reward.org_id,
        detail=data.model_dump(),
    )
    await session.commit()
    return _reward_public(reward)


async def _staff_reward(session: AsyncSession, *, reward_id: int, actor: User) -> Reward:
    reward = await session.get(Reward, reward_id)
    if reward is None or not await has_role_over(session, user_id=cast(int, actor.id), org_id=reward.org_id):
        raise NotFound("奖励不存在", code="reward_not_found")
    return reward


async def update_reward(
    session: AsyncSession, *, reward_id: int, data: RewardUpdate, actor: User
) -> RewardPublic:
    """Restock, reprice or take a reward off the shelf (staff over its org)."""
    reward = await _staff_reward(session, reward_id=reward_id, actor=actor)
    changes = data.model_dump(exclude_none=True)
    for name, value in changes.items():
        setattr(reward, name, value)
    session.add(reward)
    await audit.record(
        session,
        actor_id=actor.id,
        action="timebank.reward.update",
        object_type="reward",
        object_id=reward.id,
        org_id=reward.org_id,
        detail=changes,
    )
    await session.commit()
    return _reward_public(reward)


async def _check_age(session: AsyncSession, *, person: User, policy: TimebankPolicy | None) -> None:
    if policy is None or policy.redeem_min_age is None:
        return
    min_age = policy.redeem_min_age
    if (
        policy.redeem_min_age_hardship is not None
        and (
            await session.exec(select(TimebankHardship.id).where(TimebankHardship.user_id == person.id))
        ).first()
        is not None
    ):
        min_age = policy.redeem_min_age_hardship
    if person.birth_year is None:
        raise Conflict("请先在“我的”中填写出生年份", code="birth_year_required")
    if clock.today().year - person.birth_year < min_age:
        raise Conflict(f"本联盟规定年满 {min_age} 周岁方可兑换", code="redeem_age_not_reached")


async def redeem(
    session: AsyncSession, *, reward_id: int, data: RedeemIn, idempotency_key: str | None, actor: User
) -> idem.Stored:
    """Spend minutes on a reward and take one from its stock, atomically; staff may act for a resident (代办)."""
    row, replay = await idem.claim(
        session,
        key=idempotency_key,
        user_id=cast(int, actor.id),
        route="timebank.redeem",
        body={"reward_id": reward_id, **data.model_dump(mode="json")},
    )
    if replay:
        return replay
    assert row is not None  # claim gives a row whenever it does not replay
    body = await exchange(session, reward_id=reward_id, data=data, actor=actor)
    stored = await idem.complete(session, row, status_code=201, body=body.model_dump(mode="json"))
    await session.commit()
    return stored


async def exchange(session: AsyncSession, *, reward_id: int, data: RedeemIn, actor: User) -> RedemptionPublic:
    """Redeem the reward at the clock's now, by every rule a redemption keeps: on the shelf, who may act
    for whom, the person's alliance, the policy's age and storage cap, the accounts then the reward in one
    lock order, one from stock, the posting, the voucher with its pickup code. Flushes only; `redeem`
    keeps the Idempotency-Key and commits (the demo calls this at a past time)."""
    reward = await session.get(Reward, reward_id)
    if reward is None or not reward.active:
        raise NotFound("奖励不存在或已下架", code="reward_not_found")
    person = actor
    if data.for_phone:
        if not await has_role_over(session, user_id=cast(int, actor.id), org_id=reward.org_id):
            raise Forbidden("只有该站点的工作人员可以代办兑换")
        person = await users_service.get_by_phone(session, phone=data.for_phone)
        # Acting for someone needs a staff role over the node they belong to, not merely the same
        # alliance: staff of another compound must not spend (or read) their minutes.
        if not await may_act_for(session, actor_id=cast(int, actor.id), person=person):
            raise NotFound("没有找到该手机号对应的本辖区居民", code="user_not_found")
    # Minutes are spent where they were earned: another alliance's shelf is not for them (404, as if
    # the reward did not exist for this person).
    if not await belongs_in_alliance_of(session, person=person, org_id=reward.org_id):
        raise NotFound("奖励不存在或已下架", code="reward_not_found")
    policy = await policy_of(session, person=person) or await policy_for(session, org_id=reward.org_id)
    await _check_age(session, person=person, policy=policy)
    # The two accounts first (id order), then the reward row: one lock order everywhere.
    account = await ledger.person_account(session, user_id=cast(int, person.id))
    shelf = await ledger.system_account(session, kind=AccountKind.shelf, org_id=reward.org_id)
    account = (await ledger.lock_accounts(session, [cast(int, account.id), cast(int, shelf.id)]))[
        cast(int, account.id)
    ]
    if account.balance_minutes >= reward.price_minutes > spendable_minutes(policy, account.balance_minutes):
        raise Conflict("超出储存上限的时间只能转赠，不能兑换", code="above_storage_cap")
    taken = await session.exec(
        update(Reward)
        .where(col(Reward.id) == reward_id, col(Reward.stock) > 0, col(Reward.active).is_(True))
        .values(stock=Reward.stock - 1)
    )
    if taken.rowcount != 1:
        raise Conflict("该奖励已兑完", code="reward_out_of_stock")
    txn = await ledger.post(
        session,
        kind=TxnKind.redeem,
        legs=[(account, -reward.price_minutes), (shelf, reward.price_minutes)],
        memo=f"兑换：{reward.name}",
        actor_id=actor.id,
        org_id=reward.org_id,
    )
    redemption = Redemption(
        reward_id=cast(int, reward.id),
        user_id=cast(int, person.id),
        actor_id=cast(int, actor.id),
        txn_id=cast(int, txn.id),
        minutes=reward.price_minutes,
        pickup_code=await _new_pickup_code(session),
    )
    session.add(redemption)
    await session.flush()
    if person.id != actor.id:
        await audit.record(
            session,
            actor_id=actor.id,
            action="timebank.redeem_for",
            object_type="redemption",
            object_id=redemption.id,
            org_id=reward.org_id,
            on_behalf_of_id=person.id,
            detail={"reward_id": reward.id, "minutes": reward.price_minutes},
        )
    await session.refresh(reward)
    return RedemptionPublic(
        redemption_id=cast(int, redemption.id),
        txn_id=cast(int, txn.id),
        reward_id=cast(int, reward.id),
        user_id=cast(int, person.id),
        minutes=reward.price_minutes,
        balance_minutes=account.balance_minutes,
        stock_left=reward.stock,
        created_at=txn.created_at,
        pickup_code=redemption.pickup_code,
    )


# ---- vouchers: the pickup code and the hand-over ----------------------------------------------------


async def _new_pickup_code(session: AsyncSession) -> str:
    """8 random digits not yet used (10^8 codes: a clash is rare, and retried)."""
    while True:
        code = f"{secrets.randbelow(10**8):08d}"
        if (await session.exec(select(Redemption.id).where(Redemption.pickup_code == code))).first() is None:
            return code


def _voucher(
    redemption: Redemption, reward: Reward, station: Station | None, holder: User | None = None
) -> VoucherPublic:
    return VoucherPublic(
        redemption_id=cast(int, redemption.id),
        reward_id=cast(int, reward.id),
        reward_name=reward.name,
        minutes=redemption.minutes,
        pickup_code=redemption.pickup_code,
        status=redemption.status,
        station_name=station.name if station else None,
        station_address=station.address if station else None,
        station_open_hours=station.open_hours if station else None,
        station_lat=station.lat if station else None,
        station_lng=station.lng if station else None,
        created_at=redemption.created_at,
        handed_over_at=redemption.handed_over_at,
        holder=mask_name(holder.name) if holder else None,
    )


async def my_vouchers(session: AsyncSession, *, user: User, limit: int = 50) -> list[VoucherPublic]:
    """The person's redemptions, newest first: what to collect where, with which code (我的兑换)."""
    rows = (
        await session.exec(
            select(Redemption, Reward, Station)
            .join(Reward, col(Reward.id) == col(Redemption.reward_id))
            .join(Station, col(Station.id) == col(Reward.station_id), isouter=True)
            .where(Redemption.user_id == user.id)
            .order_by(col(Redemption.id).desc())
            .limit(limit)
        )
    ).all()
    return [_voucher(r, reward, station) for r, reward, station in rows]


async def hand_over(session: AsyncSession, *, code: str, actor: User) -> VoucherPublic:
    """The station's staff hand the thing over against the resident's pickup code, once.

    A code of another node's shelf is 404 like an unknown one; a second hand-over is 409
    `already_handed_over` (the conditional update decides, so two taps at once hand over once).
    """
    row = (
        await session.exec(
            select(Redemption, Reward, Station)
            .join(Reward, col(Reward.id) == col(Redemption.reward_id))
            .join(Station, col(Station.id) == col(Reward.station_id), isouter=True)
            .where(Redemption.pickup_code == code)
        )
    ).first()
    if row is None or not await has_role_over(session, user_id=cast(int, actor.id), org_id=row[1].org_id):
        raise NotFound("没有找到该兑换码，请核对后重试", code="voucher_not_found")
    redemption, reward, station = row
    now = clock.now()
    moved = await session.exec(
        update(Redemption)
        .where(col(Redemption.id) == redemption.id, col(Redemption.status) == "redeemed")
        .values(status="handed_over", handed_over_at=now, handed_over_by=actor.id)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise Conflict("该兑换已领取，不能重复发放", code="already_handed_over")
    await audit.record(
        session,
        actor_id=actor.id,
        action="timebank.hand_over",
        object_type="redemption",
        object_id=redemption.id,
        org_id=reward.org_id,
        on_behalf_of_id=redemption.user_id,
        detail={"reward_id": reward.id},
    )
    await session.commit()
    await session.refresh(redemption)
    holder = await session.get(User, redemption.user_id)
    return _voucher(redemption, reward, station, holder)


async def manage_page(session: AsyncSession, *, user: User) -> dict:
    """What the station master's rewards page shows: the orgs they serve and every reward there."""
    orgs = await orgs_with_role(session, user_id=cast(int, user.id))
    if not orgs:
        raise Forbidden("仅站长和工作人员可以管理爱心超市")
    rewards = (
        await session.exec(
            select(Reward)
            .where(covered_by_role(cast(int, user.id), Reward.org_id))
            .order_by(col(Reward.org_id), col(Reward.id))
            .limit(200)
        )
    ).all()
    names = await lookups.org_names(session, {r.org_id for r in rewards})
    return {"orgs": orgs, "rewards": [_reward_public(r) for r in rewards], "org_names": names}
