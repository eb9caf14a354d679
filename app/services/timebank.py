"""Time-bank use cases: balances, statements, yearly totals, transfers, grants, audit, the page.

Minutes only ever move through `app.services.ledger.post`. Money-moving use cases take an
Idempotency-Key (`app.services.idempotency`): the key is claimed before any lock is taken (so a
concurrent twin waits on the key, never on the chain), and the response is kept with it.
The alliance's rules are `timebank_policy`; the rewards shelf is `timebank_rewards`.
"""

from datetime import datetime

from sqlalchemy import case, distinct, exists, func, or_
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.db import advisory_lock, china_year
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.hours import hours_text
from app.models.org import Org
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
    TransferIn,
    TransferPublic,
    TxnKind,
    YearTotal,
)
from app.models.user import User
from app.pagination import PageParams, paginate
from app.permissions import (
    ADMIN_ONLY,
    belonging_org_id,
    covered_by_role,
    has_role_over,
    in_subtree,
    is_within,
    may_act_for,
    require_alliance_admin,
    require_role_over,
)
from app.security import mask_phone
from app.services import audit, ledger, timebank_rewards
from app.services import idempotency as idem
from app.services.crypto import mask_name
from app.services.timebank_policy import policy_of, spendable_minutes
from app.services.timebank_rewards import list_rewards

STAR_THRESHOLDS_HOURS = (100, 300, 600, 1000, 1500)


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


# ---- reading ---------------------------------------------------------------------------------


async def balance(session: AsyncSession, *, user: User) -> BalancePublic:
    """The person's balance, earned and spent totals and star level: one row read, however long the history."""
    account = await ledger.find_person_account(session, user_id=user.id)
    bal, earned, spent = (
        (account.balance_minutes, account.earned_minutes, account.spent_minutes) if account else (0, 0, 0)
    )
    policy = await policy_of(session, person=user)
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


def _earning():
    """SQL: the txn earned service minutes (earn, grant, correction) and was not reversed since (an
    activity's undone close reverses its credits)."""
    reversed_ids = select(LedgerTxn.ref_id).where(LedgerTxn.ref_type == "reversal")
    return LedgerTxn.kind.in_(("earn", "grant", "correction")) & LedgerTxn.id.not_in(reversed_ids)


def _year_column():
    return china_year(LedgerTxn.created_at)


async def yearly_totals(session: AsyncSession, *, user: User) -> list[YearTotal]:
    """The person's earned and spent minutes per calendar year in China, newest first."""
    account = await ledger.find_person_account(session, user_id=user.id)
    if account is None:
        return []
    year = _year_column()
    earned = func.sum(case((_earning(), LedgerEntry.amount_minutes), else_=0))
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
    earning = _earning()
    earned = func.sum(case((earning, LedgerEntry.amount_minutes), else_=0))
    spent = func.sum(case((LedgerTxn.kind == "redeem", -LedgerEntry.amount_minutes), else_=0))
    people = func.count(distinct(case((earning, LedgerEntry.account_id), else_=None)))
    stmt = (
        select(year, earned, spent, people)
        .select_from(LedgerEntry)
        .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerAccount.kind == AccountKind.person, in_subtree(LedgerTxn.org_id, org.path))
        .group_by(year)
        .order_by(year.desc())
    )
    return [
        YearTotal(year=int(y), earned_minutes=int(e or 0), spent_minutes=int(s or 0), people=int(p or 0))
        for y, e, s, p in (await session.exec(stmt)).all()
    ]


def _txns_in_reach(admin_id: int):
    """SQL: a txn of the admin's alliance — posted by one of its nodes, or moving a resident's minutes."""
    resident_leg = exists(
        select(LedgerEntry.id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .join(User, User.id == LedgerAccount.user_id)
        .where(LedgerEntry.txn_id == LedgerTxn.id, covered_by_role(admin_id, User.home_org_id, ADMIN_ONLY))
    )
    return or_(covered_by_role(admin_id, LedgerTxn.org_id, ADMIN_ONLY), resident_leg)


async def audit_ledger(session: AsyncSession, *, actor: User, batch: int = 2000) -> AuditPublic:
    """Prove the caller's alliance's part of the ledger: each of its txns sums to zero and hashes to what
    was recorded, and the accounts it moved hold what their entries add up to. Other alliances' figures
    are not shown; the whole chain's continuity is checked by the `ejia audit-ledger` command."""
    await require_alliance_admin(session, user_id=actor.id)
    check = ledger.LedgerCheck()
    last_id = 0
    while txns := (
        await session.exec(
            select(LedgerTxn)
            .where(LedgerTxn.id > last_id, _txns_in_reach(actor.id))
            .order_by(LedgerTxn.id)
            .limit(batch)
            .execution_options(populate_existing=True)  # what the database holds, not what we remember
        )
    ).all():
        entries: dict[int, list[LedgerEntry]] = {t.id: [] for t in txns}
        for e in (
            await session.exec(
                select(LedgerEntry)
                .where(LedgerEntry.txn_id.in_(list(entries)))
                .order_by(LedgerEntry.id)
                .execution_options(populate_existing=True)
            )
        ).all():
            entries[e.txn_id].append(e)
        for t in txns:
            rows = entries[t.id]
            total = sum(e.amount_minutes for e in rows)
            check.transactions += 1
            check.entries_sum += total
            if total != 0 or len(rows) < 2:
                check.unbalanced_txn_ids.append(t.id)
                check.problems.append(f"流水 {t.id} 的分录合计为 {total} 分钟，不为零")
            if ledger.hash_of(t, rows) != t.hash and check.chain_ok:
                check.chain_ok = False
                check.first_broken_txn_id = t.id
                check.problems.append(f"流水 {t.id} 的内容与其哈希不符，已被改动")
        last_id = txns[-1].id
    moved = select(LedgerEntry.account_id).join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)
    sums = (
        select(
            LedgerAccount.id,
            LedgerAccount.kind,
            LedgerAccount.balance_minutes,
            func.sum(LedgerEntry.amount_minutes),
        )
        .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
        .where(LedgerAccount.id.in_(moved.where(_txns_in_reach(actor.id))))
        .group_by(LedgerAccount.id, LedgerAccount.kind, LedgerAccount.balance_minutes)
        .order_by(LedgerAccount.id)
    )
    for account_id, kind, balance, total in (await session.exec(sums)).all():
        if balance != total:
            check.balances_ok = False
            check.mismatched_accounts.append((account_id, balance, int(total)))
            check.problems.append(f"账户 {account_id} 余额 {balance} 分钟，分录合计 {total} 分钟")
        if kind == AccountKind.person and balance < 0:
            check.negative_person_account_ids.append(account_id)
            check.problems.append(f"个人账户 {account_id} 余额为负")
    return audit_public(check)


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
    assert row is not None  # claim gives a row whenever it does not replay
    body = await give(session, data=data, actor=actor)
    stored = await idem.complete(session, row, status_code=201, body=body.model_dump(mode="json"))
    await session.commit()
    return stored


async def give(session: AsyncSession, *, data: TransferIn, actor: User) -> TransferPublic:
    """Move the minutes to the family member at the clock's now, by every rule a transfer keeps: not to
    oneself, a home first, the alliance's policy and daily cap (under the sender's advisory lock), the
    balance, then the posting (which locks both accounts in id order). Flushes only; `transfer` keeps
    the Idempotency-Key and commits (the demo calls this at a past time)."""
    if data.to_phone == actor.phone:
        raise Conflict("不能转赠给自己", code="cannot_transfer_to_self")
    if belonging_org_id(actor) is None:
        raise Conflict("请先在“我的”中选择所在小区，再转赠时间", code="home_required")
    policy = await policy_of(session, person=actor)
    if policy is not None and not policy.family_transfer_allowed:
        raise Conflict("本联盟的时间银行不允许转赠", code="transfer_not_allowed")
    await advisory_lock(session, f"transfers:{actor.id}")  # the daily sum below must not race their next
    source = await ledger.person_account(session, user_id=actor.id)
    if policy is not None and policy.family_transfer_daily_cap_minutes is not None:
        today = await _transferred_since(session, account_id=source.id, since=clock.china_midnight())
        if today + data.minutes > policy.family_transfer_daily_cap_minutes:
            raise Conflict(
                f"超过每日转赠上限：今日已转赠 {hours_text(today)}，上限 {hours_text(policy.family_transfer_daily_cap_minutes)}",
                code="transfer_daily_cap_exceeded",
            )
    # Whether a phone belongs to anyone is told only to a sender who really has the minutes to give:
    # every refusal before this point reads the same for known and unknown phones (no enumeration).
    if source.balance_minutes < data.minutes:
        raise ledger.InsufficientBalance(f"余额不足：当前余额 {hours_text(source.balance_minutes)}")
    recipient = (await session.exec(select(User).where(User.phone == data.to_phone))).first()
    if recipient is None:
        raise NotFound("没有找到该手机号对应的用户", code="recipient_not_found")
    target = await ledger.person_account(session, user_id=recipient.id)
    txn = await ledger.post(
        session,
        kind=TxnKind.transfer,
        legs=[(source, -data.minutes), (target, data.minutes)],
        memo=data.memo or f"转赠给{mask_name(recipient.name)}",
        actor_id=actor.id,
    )
    return TransferPublic(
        txn_id=txn.id,
        minutes=data.minutes,
        to_user_id=recipient.id,
        to_name=mask_name(recipient.name),
        to_phone=mask_phone(recipient.phone),
        balance_minutes=source.balance_minutes,
        created_at=txn.created_at,
    )


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
    if person.id == actor.id:
        raise Forbidden("不能给自己补录或更正时间，请由其他管理员办理", code="cannot_grant_to_self")
    # Only an admin over the node the person belongs to (their home, or where they were registered):
    # an admin elsewhere must not move (or, through the reply, read) anyone else's minutes.
    if not await may_act_for(session, actor_id=actor.id, person=person):
        raise NotFound("用户不存在", code="user_not_found")
    org_id = data.org_id or belonging_org_id(person)
    if not await has_role_over(session, user_id=actor.id, org_id=org_id, roles=ADMIN_ONLY):
        raise Forbidden("只有该组织的管理员可以补录或更正时间")
    home, org = await session.get(Org, belonging_org_id(person)), await session.get(Org, org_id)
    if home is None or org is None or not is_within(home, org):
        raise ValidationFailed("补录的组织应为该居民所在的小区或其上级", code="invalid_org")
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


# ---- pages -------------------------------------------------------------------------------------------


async def page(session: AsyncSession, *, user: User) -> dict:
    """What the /timebank page shows: balance, star, the latest entries, the shelf, the policy."""
    bal = await balance(session, user=user)
    entries, cursor = await statement(session, user=user, params=PageParams(limit=20))
    rewards, _ = await list_rewards(
        session, org_id=None, station_id=None, include_inactive=False, params=PageParams(limit=50), actor=user
    )
    policy = await policy_of(session, person=user)
    from app.services import member_reports, records  # the record card's own definitions (no cycle)

    year = member_reports.this_year()
    post_minutes = sum(p.minutes for p in await records.post_section(session, user_id=user.id, year=year))
    return {
        "post_year": year,
        "post_minutes": post_minutes,
        "balance": bal,
        "entries": entries,
        "next_cursor": cursor,
        "rewards": rewards,
        "policy": policy,
        "kind_labels": TXN_KIND_LABELS,
        "next_star_minutes": next_star_minutes(bal.earned_minutes),
        "years": await yearly_totals(session, user=user),
        "vouchers": await timebank_rewards.my_vouchers(session, user=user, limit=10),
    }
