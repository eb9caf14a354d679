"""Time-bank use cases: balances, statements, transfers, grants, the rewards shelf, policy, audit.

Minutes only ever move through `app.services.ledger.post`. Money-moving use cases take an
Idempotency-Key (`app.services.idempotency`): the key is claimed before any lock is taken (so a
concurrent twin waits on the key, never on the chain), and the response is kept with it.

Policy per alliance (`timebank_policies`; no row = no limits, served time rounds to 30 min):
- storage cap: credits are never refused (the service was done), but only minutes up to the cap
  may be redeemed on the rewards shelf; what lies above it may only be donated (transferred);
- redeem minimum age: a person must be at least `redeem_min_age` years old by `User.birth_year`
  (`redeem_min_age_hardship` for people marked in hardship) to redeem;
- family transfers: allowed or not, and at most `family_transfer_daily_cap_minutes` a China day;
- rounding of served time: half-up to `rounding_unit_minutes` (30: <15 → 0, 15–44 → 30, 45–74 → 60).
"""

from datetime import UTC, datetime

from sqlalchemy import case, distinct, func, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.clock import CHINA
from app.db import china_year
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.models.org import Org
from app.models.stations import Station
from app.models.timebank import (
    TXN_KIND_LABELS,
    AccountKind,
    AuditPublic,
    BalancePublic,
    EntryPublic,
    GrantIn,
    GrantPublic,
    LedgerAccount,
    LedgerEntry,
    LedgerTxn,
    MismatchedAccount,
    PolicyIn,
    PolicyPublic,
    RedeemIn,
    Redemption,
    RedemptionPublic,
    Reward,
    RewardIn,
    RewardPublic,
    RewardUpdate,
    TimebankHardship,
    TimebankPolicy,
    TransferIn,
    TransferPublic,
    TxnKind,
    YearTotal,
)
from app.models.user import User
from app.pagination import PageParams, paginate
from app.permissions import (
    ADMIN_ONLY,
    covered_by_role,
    has_role_over,
    require_alliance_admin,
    require_role_over,
)
from app.security import mask_phone
from app.services import audit, ledger
from app.services import idempotency as idem
from app.services import users as users_service

STAR_THRESHOLDS_HOURS = (100, 300, 600, 1000, 1500)
DEFAULT_ROUNDING_UNIT = 30


# ---- pure rules ----------------------------------------------------------------------------


def star_level(earned_minutes: int) -> int:
    """Stars from total earned service: 100 h ★, 300 h ★★, 600 h ★★★, 1000 h ★★★★, 1500 h ★★★★★."""
    return sum(1 for hours in STAR_THRESHOLDS_HOURS if earned_minutes >= hours * 60)


def next_star_minutes(earned_minutes: int) -> int | None:
    """Minutes still to earn for the next star, or None at five stars."""
    for hours in STAR_THRESHOLDS_HOURS:
        if earned_minutes < hours * 60:
            return hours * 60 - earned_minutes
    return None


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


def china_today_start() -> datetime:
    """Midnight today in China time, as a UTC instant."""
    local = clock.now().astimezone(CHINA)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


# ---- policy ----------------------------------------------------------------------------------


async def alliance_id_of(session: AsyncSession, *, org_id: int | None) -> int | None:
    """The alliance (root) over an org node."""
    if org_id is None:
        return None
    org = await session.get(Org, org_id)
    if org is None:
        return None
    return int(org.path.strip("/").split("/")[0])


async def policy_for(session: AsyncSession, *, org_id: int | None) -> TimebankPolicy | None:
    """The policy of the alliance over `org_id` (None: no limits, default rounding)."""
    alliance_id = await alliance_id_of(session, org_id=org_id)
    if alliance_id is None:
        return None
    return (
        await session.exec(select(TimebankPolicy).where(TimebankPolicy.alliance_id == alliance_id))
    ).first()


async def served_minutes_for(session: AsyncSession, *, org_id: int, minutes: int) -> int:
    """Served time at `org_id` rounded by its alliance's policy (for shifts, activities, wishes)."""
    return round_served_minutes(await policy_for(session, org_id=org_id), minutes)


def _policy_public(alliance_id: int, policy: TimebankPolicy | None) -> PolicyPublic:
    if policy is None:
        return PolicyPublic(alliance_id=alliance_id)
    return PolicyPublic(alliance_id=alliance_id, **{k: getattr(policy, k) for k in PolicyIn.model_fields})


async def get_policy(session: AsyncSession, *, org_id: int, actor: User) -> PolicyPublic:
    """The time-bank policy of the alliance over `org_id`."""
    alliance_id = await alliance_id_of(session, org_id=org_id)
    if alliance_id is None:
        raise NotFound("组织不存在", code="org_not_found")
    return _policy_public(alliance_id, await policy_for(session, org_id=alliance_id))


async def set_policy(session: AsyncSession, *, alliance_id: int, data: PolicyIn, actor: User) -> PolicyPublic:
    """Set an alliance's time-bank rules (its admins only)."""
    org = await session.get(Org, alliance_id)
    if org is None or org.parent_id is not None:
        raise NotFound("联盟不存在", code="org_not_found")
    await require_role_over(session, user_id=actor.id, org_id=alliance_id, roles=ADMIN_ONLY)
    policy = await policy_for(session, org_id=alliance_id) or TimebankPolicy(alliance_id=alliance_id)
    for name, value in data.model_dump().items():
        setattr(policy, name, value)
    policy.updated_by, policy.updated_at = actor.id, clock.now()
    session.add(policy)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action="timebank.policy",
        object_type="org",
        object_id=alliance_id,
        org_id=alliance_id,
        detail=data.model_dump(),
    )
    await session.commit()
    return _policy_public(alliance_id, policy)


async def set_hardship(session: AsyncSession, *, user_id: int, hardship: bool, actor: User) -> bool:
    """Mark or unmark a resident as in hardship (the lower redeem age), by staff over their home."""
    person = await session.get(User, user_id)
    if (
        person is None
        or person.home_org_id is None
        or not await has_role_over(session, user_id=actor.id, org_id=person.home_org_id)
    ):
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
        org_id=person.home_org_id,
        detail={"hardship": hardship},
    )
    await session.commit()
    return hardship


# ---- reading ---------------------------------------------------------------------------------


async def balance(session: AsyncSession, *, user: User) -> BalancePublic:
    """The person's balance, earned and spent totals and star level: one row read, however long the history."""
    account = await ledger.find_person_account(session, user_id=user.id)
    bal, earned, spent = (
        (account.balance_minutes, account.earned_minutes, account.spent_minutes) if account else (0, 0, 0)
    )
    policy = await policy_for(session, org_id=user.home_org_id)
    return BalancePublic(
        balance_minutes=bal,
        earned_minutes=earned,
        spent_minutes=spent,
        star_level=star_level(earned),
        spendable_minutes=spendable_minutes(policy, bal),
        storage_cap_minutes=policy.storage_cap_minutes if policy else None,
    )


async def statement(
    session: AsyncSession, *, user: User, params: PageParams
) -> tuple[list[EntryPublic], str | None]:
    """The person's entries, newest first."""
    account = await ledger.find_person_account(session, user_id=user.id)
    if account is None:
        return [], None
    stmt = (
        select(LedgerEntry, LedgerTxn)
        .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)
        .where(LedgerEntry.account_id == account.id)
    )
    rows, cursor = await paginate(session, stmt, LedgerEntry.id, params)
    return [
        EntryPublic(
            txn_id=t.id,
            at=t.created_at,
            kind=t.kind,
            amount_minutes=e.amount_minutes,
            balance_after_minutes=e.balance_after_minutes,
            memo=t.memo,
        )
        for e, t in rows
    ], cursor


def _year_column():
    return china_year(LedgerTxn.created_at)


async def yearly_totals(session: AsyncSession, *, user: User) -> list[YearTotal]:
    """The person's earned and spent minutes per calendar year in China, newest first."""
    account = await ledger.find_person_account(session, user_id=user.id)
    if account is None:
        return []
    year = _year_column()
    earned = func.sum(
        case((LedgerTxn.kind.in_(("earn", "grant", "correction")), LedgerEntry.amount_minutes), else_=0)
    )
    spent = func.sum(
        case(
            (
                LedgerTxn.kind.in_(("redeem", "spend", "transfer")) & (LedgerEntry.amount_minutes < 0),
                -LedgerEntry.amount_minutes,
            ),
            else_=0,
        )
    )
    stmt = (
        select(year, earned, spent)
        .select_from(LedgerEntry)
        .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)
        .where(LedgerEntry.account_id == account.id)
        .group_by(year)
        .order_by(year.desc())
    )
    return [
        YearTotal(year=int(y), earned_minutes=int(e or 0), spent_minutes=int(s or 0))
        for y, e, s in (await session.exec(stmt)).all()
    ]


async def org_yearly_totals(session: AsyncSession, *, org_id: int, actor: User) -> list[YearTotal]:
    """Minutes earned by people for service in the subtree, redeemed on its shelves, and how many people, per year."""
    await require_role_over(session, user_id=actor.id, org_id=org_id)
    org = await session.get(Org, org_id)
    year = _year_column()
    earning = LedgerTxn.kind.in_(("earn", "grant", "correction"))
    earned = func.sum(case((earning, LedgerEntry.amount_minutes), else_=0))
    spent = func.sum(case((LedgerTxn.kind == "redeem", -LedgerEntry.amount_minutes), else_=0))
    people = func.count(distinct(case((earning, LedgerEntry.account_id), else_=None)))
    stmt = (
        select(year, earned, spent, people)
        .select_from(LedgerEntry)
        .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .join(Org, Org.id == LedgerTxn.org_id)
        .where(LedgerAccount.kind == AccountKind.person, Org.path.startswith(org.path))
        .group_by(year)
        .order_by(year.desc())
    )
    return [
        YearTotal(year=int(y), earned_minutes=int(e or 0), spent_minutes=int(s or 0), people=int(p or 0))
        for y, e, s, p in (await session.exec(stmt)).all()
    ]


async def audit_ledger(session: AsyncSession, *, actor: User) -> AuditPublic:
    """Prove the ledger: entries sum to zero, balances equal their entries, the hash chain verifies."""
    await require_alliance_admin(session, user_id=actor.id)
    return audit_public(await ledger.verify(session))


def audit_public(check: ledger.LedgerCheck) -> AuditPublic:
    return AuditPublic(
        ok=check.ok,
        transactions=check.transactions,
        entries_sum=check.entries_sum,
        chain_ok=check.chain_ok,
        balances_ok=check.balances_ok,
        first_broken_txn_id=check.first_broken_txn_id,
        unbalanced_txn_ids=check.unbalanced_txn_ids[:50],
        negative_person_account_ids=check.negative_person_account_ids,
        mismatched_accounts=[
            MismatchedAccount(account_id=a, balance_minutes=b, entries_sum_minutes=s)
            for a, b, s in check.mismatched_accounts[:50]
        ],
        problems=check.problems[:50],
    )


# ---- moving minutes ------------------------------------------------------------------------------


async def transfer(
    session: AsyncSession, *, data: TransferIn, idempotency_key: str | None, actor: User
) -> idem.Stored:
    """Donate minutes to a family member by phone; once per Idempotency-Key."""
    row, replay = await idem.claim(
        session,
        key=idempotency_key,
        user_id=actor.id,
        route="timebank.transfer",
        body=data.model_dump(mode="json"),
    )
    if replay:
        return replay
    recipient = (await session.exec(select(User).where(User.phone == data.to_phone))).first()
    if recipient is None:
        raise NotFound("没有找到该手机号对应的用户", code="recipient_not_found")
    if recipient.id == actor.id:
        raise Conflict("不能转赠给自己", code="cannot_transfer_to_self")
    policy = await policy_for(session, org_id=actor.home_org_id)
    if policy is not None and not policy.family_transfer_allowed:
        raise Conflict("本联盟的时间银行不允许转赠", code="transfer_not_allowed")
    await ledger.lock_chain(session)  # the daily sum below must not race another transfer
    source = await ledger.person_account(session, user_id=actor.id)
    if policy is not None and policy.family_transfer_daily_cap_minutes is not None:
        today = await _transferred_since(session, account_id=source.id, since=china_today_start())
        if today + data.minutes > policy.family_transfer_daily_cap_minutes:
            raise Conflict(
                f"超过每日转赠上限：今日已转赠 {today} 分钟，上限 {policy.family_transfer_daily_cap_minutes} 分钟",
                code="transfer_daily_cap_exceeded",
            )
    target = await ledger.person_account(session, user_id=recipient.id)
    txn = await ledger.post(
        session,
        kind=TxnKind.transfer,
        legs=[(source, -data.minutes), (target, data.minutes)],
        memo=data.memo or f"转赠给{recipient.name}",
        actor_id=actor.id,
    )
    body = TransferPublic(
        txn_id=txn.id,
        minutes=data.minutes,
        to_user_id=recipient.id,
        to_name=recipient.name,
        to_phone=mask_phone(recipient.phone),
        balance_minutes=source.balance_minutes,
        created_at=txn.created_at,
    ).model_dump(mode="json")
    stored = await idem.complete(session, row, status_code=201, body=body)
    await session.commit()
    return stored


async def _transferred_since(session: AsyncSession, *, account_id: int, since: datetime) -> int:
    stmt = (
        select(func.coalesce(func.sum(-LedgerEntry.amount_minutes), 0))
        .select_from(LedgerEntry)
        .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)
        .where(
            LedgerEntry.account_id == account_id,
            LedgerEntry.amount_minutes < 0,
            LedgerTxn.kind == TxnKind.transfer,
            LedgerTxn.created_at >= since,
        )
    )
    return int((await session.exec(stmt)).one())


async def grant(
    session: AsyncSession, *, data: GrantIn, idempotency_key: str | None, actor: User
) -> idem.Stored:
    """An admin's manual credit (negative: a correction, never below zero); once per Idempotency-Key."""
    row, replay = await idem.claim(
        session,
        key=idempotency_key,
        user_id=actor.id,
        route="timebank.grant",
        body=data.model_dump(mode="json"),
    )
    if replay:
        return replay
    if data.minutes == 0:
        raise ValidationFailed("分钟数不能为 0", code="zero_minutes")
    person = await session.get(User, data.user_id)
    if person is None:
        raise NotFound("用户不存在", code="user_not_found")
    org_id = data.org_id or person.home_org_id
    if org_id is None:
        raise ValidationFailed("该用户没有所属小区，请指定组织 org_id", code="org_required")
    if not await has_role_over(session, user_id=actor.id, org_id=org_id, roles=ADMIN_ONLY):
        raise Forbidden("只有该组织的管理员可以补录或更正时间")
    # Only people who live under the crediting org: an admin elsewhere must not move (or, through
    # the reply, read) the balance of someone outside their tree.
    if person.home_org_id is not None and person.home_org_id != org_id:
        home, org = await session.get(Org, person.home_org_id), await session.get(Org, org_id)
        if home is None or org is None or not home.path.startswith(org.path):
            raise NotFound("用户不存在", code="user_not_found")
    if person.id == actor.id:
        raise Forbidden("不能给自己补录或更正时间，请由其他管理员办理", code="cannot_grant_to_self")
    await ledger.lock_chain(session)
    issuer = await ledger.issuing_account(session, org_id=org_id)
    account = await ledger.person_account(session, user_id=person.id)
    kind = TxnKind.grant if data.minutes > 0 else TxnKind.correction
    txn = await ledger.post(
        session,
        kind=kind,
        legs=[(issuer, -data.minutes), (account, data.minutes)],
        memo=data.reason,
        actor_id=actor.id,
        org_id=org_id,
    )
    await audit.record(
        session,
        actor_id=actor.id,
        action=f"timebank.{kind}",
        object_type="ledger_txn",
        object_id=txn.id,
        org_id=org_id,
        on_behalf_of_id=person.id,
        detail={"minutes": data.minutes, "reason": data.reason},
    )
    body = GrantPublic(
        txn_id=txn.id,
        kind=kind,
        user_id=person.id,
        minutes=data.minutes,
        balance_minutes=account.balance_minutes,
        created_at=txn.created_at,
    ).model_dump(mode="json")
    stored = await idem.complete(session, row, status_code=201, body=body)
    await session.commit()
    return stored


# ---- the rewards shelf (爱心超市) ------------------------------------------------------------------


def _reward_public(r: Reward) -> RewardPublic:
    return RewardPublic(
        id=r.id,
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
    org = await session.get(Org, org_id)
    if org is None:
        raise NotFound("组织不存在", code="org_not_found")
    stmt = select(Reward).join(Org, Org.id == Reward.org_id).where(Org.path.startswith(org.path))
    if station_id is not None:
        stmt = stmt.where(Reward.station_id == station_id)
    if include_inactive:
        stmt = stmt.where(covered_by_role(actor.id, Reward.org_id))
    else:
        stmt = stmt.where(Reward.active.is_(True))
    rows, cursor = await paginate(session, stmt, Reward.id, params, newest_first=False)
    return [_reward_public(r) for r in rows], cursor


async def create_reward(session: AsyncSession, *, data: RewardIn, actor: User) -> RewardPublic:
    """Put a reward on a shelf (staff over the org)."""
    org = await session.get(Org, data.org_id)
    if org is None:
        raise NotFound("组织不存在", code="org_not_found")
    await require_role_over(session, user_id=actor.id, org_id=data.org_id)
    if data.station_id is not None:
        station = await session.get(Station, data.station_id)
        station_org = await session.get(Org, station.org_id) if station else None
        if station_org is None or not station_org.path.startswith(org.path):
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
    if reward is None or not await has_role_over(session, user_id=actor.id, org_id=reward.org_id):
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
    if clock.now().astimezone(CHINA).year - person.birth_year < min_age:
        raise Conflict(f"本联盟规定年满 {min_age} 周岁方可兑换", code="redeem_age_not_reached")


async def redeem(
    session: AsyncSession, *, reward_id: int, data: RedeemIn, idempotency_key: str | None, actor: User
) -> idem.Stored:
    """Spend minutes on a reward and take one from its stock, atomically; staff may act for a resident (代办)."""
    row, replay = await idem.claim(
        session,
        key=idempotency_key,
        user_id=actor.id,
        route="timebank.redeem",
        body={"reward_id": reward_id, **data.model_dump(mode="json")},
    )
    if replay:
        return replay
    reward = await session.get(Reward, reward_id)
    if reward is None or not reward.active:
        raise NotFound("奖励不存在或已下架", code="reward_not_found")
    person = actor
    if data.for_phone:
        if not await has_role_over(session, user_id=actor.id, org_id=reward.org_id):
            raise Forbidden("只有该站点的工作人员可以代办兑换")
        person = await users_service.get_by_phone(session, phone=data.for_phone)
        # Only for people of the shelf's alliance: staff elsewhere must not spend (or read) their minutes.
        home = await session.get(Org, person.home_org_id) if person.home_org_id else None
        shelf_org = await session.get(Org, reward.org_id)
        if home is None or shelf_org is None or home.path.split("/")[1] != shelf_org.path.split("/")[1]:
            raise NotFound("没有找到该手机号对应的本联盟居民", code="user_not_found")
    policy = await policy_for(session, org_id=person.home_org_id or reward.org_id)
    await _check_age(session, person=person, policy=policy)
    await ledger.lock_chain(session)  # chain first, then the reward row: one lock order everywhere
    account = await ledger.person_account(session, user_id=person.id)
    account = (
        await session.exec(
            select(LedgerAccount)
            .where(LedgerAccount.id == account.id)
            .execution_options(populate_existing=True)
        )
    ).one()
    if account.balance_minutes >= reward.price_minutes > spendable_minutes(policy, account.balance_minutes):
        raise Conflict("超出储存上限的时间只能转赠，不能兑换", code="above_storage_cap")
    taken = await session.exec(
        update(Reward)
        .where(Reward.id == reward_id, Reward.stock > 0, Reward.active.is_(True))
        .values(stock=Reward.stock - 1)
    )
    if taken.rowcount != 1:
        raise Conflict("该奖励已兑完", code="reward_out_of_stock")
    shelf = await ledger.system_account(session, kind=AccountKind.shelf, org_id=reward.org_id)
    txn = await ledger.post(
        session,
        kind=TxnKind.redeem,
        legs=[(account, -reward.price_minutes), (shelf, reward.price_minutes)],
        memo=f"兑换：{reward.name}",
        actor_id=actor.id,
        org_id=reward.org_id,
    )
    redemption = Redemption(
        reward_id=reward.id, user_id=person.id, actor_id=actor.id, txn_id=txn.id, minutes=reward.price_minutes
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
    body = RedemptionPublic(
        redemption_id=redemption.id,
        txn_id=txn.id,
        reward_id=reward.id,
        user_id=person.id,
        minutes=reward.price_minutes,
        balance_minutes=account.balance_minutes,
        stock_left=reward.stock,
        created_at=txn.created_at,
    ).model_dump(mode="json")
    stored = await idem.complete(session, row, status_code=201, body=body)
    await session.commit()
    return stored


# ---- pages -------------------------------------------------------------------------------------------


async def page(session: AsyncSession, *, user: User) -> dict:
    """What the /timebank page shows: balance, star, the latest entries, the shelf, the policy."""
    bal = await balance(session, user=user)
    entries, cursor = await statement(session, user=user, params=PageParams(limit=20))
    rewards, _ = await list_rewards(
        session, org_id=None, station_id=None, include_inactive=False, params=PageParams(limit=50), actor=user
    )
    policy = await policy_for(session, org_id=user.home_org_id)
    return {
        "balance": bal,
        "entries": entries,
        "next_cursor": cursor,
        "rewards": rewards,
        "policy": policy,
        "kind_labels": TXN_KIND_LABELS,
        "next_star_minutes": next_star_minutes(bal.earned_minutes),
        "years": await yearly_totals(session, user=user),
    }


async def manage_page(session: AsyncSession, *, user: User) -> dict:
    """What the station master's rewards page shows: the orgs they serve and every reward there."""
    from app.models.org import Role

    orgs = (
        await session.exec(
            select(Org).join(Role, Role.org_id == Org.id).where(Role.user_id == user.id).order_by(Org.id)
        )
    ).all()
    if not orgs:
        raise Forbidden("仅站长和工作人员可以管理爱心超市")
    rewards = (
        await session.exec(
            select(Reward)
            .where(covered_by_role(user.id, Reward.org_id))
            .order_by(Reward.org_id, Reward.id)
            .limit(200)
        )
    ).all()
    names = (
        {
            o.id: o.name
            for o in (await session.exec(select(Org).where(Org.id.in_({r.org_id for r in rewards})))).all()
        }
        if rewards
        else {}
    )
    return {"orgs": orgs, "rewards": [_reward_public(r) for r in rewards], "org_names": names}
