"""The ledger's one posting function, and the checks that prove the ledger balances and is untampered.

Every module that moves minutes calls `post` (or `credit_service`, built on it). A posting:
1. locks the one-row chain head (`ledger_head`, FOR UPDATE on PostgreSQL; SQLite writers already
   hold the write lock), so postings form one line and each txn's `prev_hash` is its predecessor's;
2. finds or makes the accounts, then locks them in id order (no deadlocks);
3. refuses to take a person below zero (the database's CHECK refuses it too);
4. writes the txn, its entries (summing to zero, each with the balance after it) and the new
   balances, and moves the head. It only flushes: the caller's use case commits.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.errors import Conflict, NotFound
from app.hours import hours_text
from app.models.org import Org, OrgKind
from app.models.timebank import AccountKind, LedgerAccount, LedgerEntry, LedgerHead, LedgerTxn, TxnKind

HEAD_ID = 1
GENESIS_HASH = "0" * 64
# Kinds whose credit to a person counts as earned service (star levels); corrections take it back.
EARNING_KINDS = {TxnKind.earn, TxnKind.grant}
SPENDING_KINDS = {TxnKind.redeem, TxnKind.spend, TxnKind.transfer}


class InsufficientBalance(Conflict):
    code, title = "insufficient_balance", "时间余额不足"


# ---- accounts -------------------------------------------------------------------------------


async def person_account(session: AsyncSession, *, user_id: int) -> LedgerAccount:
    """The person's account, made on first use (flushes)."""
    account = (await session.exec(select(LedgerAccount).where(LedgerAccount.user_id == user_id))).first()
    if account is None:
        account = LedgerAccount(kind=AccountKind.person, user_id=user_id)
        session.add(account)
        await session.flush()
    return account


async def find_person_account(session: AsyncSession, *, user_id: int) -> LedgerAccount | None:
    """The person's account if they have one (a read; O(1) whatever the history)."""
    return (await session.exec(select(LedgerAccount).where(LedgerAccount.user_id == user_id))).first()


async def system_account(session: AsyncSession, *, kind: str, org_id: int) -> LedgerAccount:
    """An org node's issuing or shelf account, made on first use (flushes)."""
    account = (
        await session.exec(
            select(LedgerAccount).where(LedgerAccount.kind == kind, LedgerAccount.org_id == org_id)
        )
    ).first()
    if account is None:
        account = LedgerAccount(kind=kind, org_id=org_id)
        session.add(account)
        await session.flush()
    return account


async def issuer_org_id(session: AsyncSession, *, org_id: int) -> int:
    """The community over `org_id` (itself if it is one); the alliance for nodes above or beside communities."""
    org = await session.get(Org, org_id)
    if org is None:
        raise NotFound("组织不存在", code="org_not_found")
    path_ids = [int(p) for p in org.path.strip("/").split("/") if p]
    community = (
        await session.exec(select(Org.id).where(col(Org.id).in_(path_ids), Org.kind == OrgKind.community))
    ).first()
    return community if community is not None else path_ids[0]


async def issuing_account(session: AsyncSession, *, org_id: int) -> LedgerAccount:
    """The issuing account of the community over `org_id` (flushes)."""
    return await system_account(
        session, kind=AccountKind.issuing, org_id=await issuer_org_id(session, org_id=org_id)
    )


# ---- posting -------------------------------------------------------------------------------


async def lock_chain(session: AsyncSession) -> LedgerHead:
    """Take the chain head for this transaction (made if missing). Every posting takes it first."""
    stmt = (
        select(LedgerHead)
        .where(LedgerHead.id == HEAD_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    head = (await session.exec(stmt)).first()
    if head is None:
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        await session.exec(
            insert(LedgerHead).values(id=HEAD_ID, seq=0, last_hash=GENESIS_HASH).on_conflict_do_nothing()
        )
        head = (await session.exec(stmt)).one()
    return head


def txn_hash(
    *,
    seq: int,
    kind: str,
    memo: str,
    actor_id: int | None,
    org_id: int | None,
    ref_type: str | None,
    ref_id: int | None,
    ref_user_id: int | None,
    created_at: datetime,
    prev_hash: str,
    entries: list[tuple[int, int, int]],
) -> str:
    """SHA-256 over a canonical JSON of the txn's content and its (account, amount, balance after) entries."""
    content = {
        "seq": seq,
        "kind": kind,
        "memo": memo,
        "actor_id": actor_id,
        "org_id": org_id,
        "ref_type": ref_type,
        "ref_id": ref_id,
        "ref_user_id": ref_user_id,
        "created_at": created_at.isoformat(timespec="microseconds"),
        "prev_hash": prev_hash,
        "entries": sorted([list(e) for e in entries]),
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def hash_of(txn: LedgerTxn, entries: list[LedgerEntry]) -> str:
    """The hash a stored txn should carry, recomputed from what is stored."""
    return txn_hash(
        seq=txn.seq,
        kind=txn.kind,
        memo=txn.memo,
        actor_id=txn.actor_id,
        org_id=txn.org_id,
        ref_type=txn.ref_type,
        ref_id=txn.ref_id,
        ref_user_id=txn.ref_user_id,
        created_at=txn.created_at,
        prev_hash=txn.prev_hash,
        entries=[(e.account_id, e.amount_minutes, e.balance_after_minutes) for e in entries],
    )


async def post(
    session: AsyncSession,
    *,
    kind: str,
    legs: list[tuple[LedgerAccount, int]],
    memo: str,
    actor_id: int | None,
    org_id: int | None = None,
    ref_type: str | None = None,
    ref_id: int | None = None,
    ref_user_id: int | None = None,
) -> LedgerTxn:
    """Post one transaction of `legs` (account, minutes) summing to zero; the ONE way minutes move.

    Raises InsufficientBalance (409 `insufficient_balance`) if a person would go below zero.
    Only flushes; the caller commits.
    """
    if len(legs) < 2 or sum(m for _, m in legs) != 0 or any(m == 0 for _, m in legs):
        raise ValueError("a transaction needs two or more non-zero legs summing to zero")
    head = await lock_chain(session)
    totals: dict[int, int] = {}
    for account, minutes in legs:
        account_id = cast(int, account.id)
        totals[account_id] = totals.get(account_id, 0) + minutes
    locked = (
        await session.exec(
            select(LedgerAccount)
            .where(col(LedgerAccount.id).in_(sorted(totals)))
            .order_by(col(LedgerAccount.id))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).all()
    by_id = {a.id: a for a in locked}
    for account_id, delta in totals.items():
        account = by_id[account_id]
        if account.kind == AccountKind.person and account.balance_minutes + delta < 0:
            raise InsufficientBalance(f"余额不足：当前余额 {hours_text(account.balance_minutes)}")
    now = clock.now()
    entries: list[tuple[int, int, int]] = []
    for account_id in sorted(totals):
        account, delta = by_id[account_id], totals[account_id]
        if delta == 0:
            continue
        account.balance_minutes += delta
        if account.kind == AccountKind.person:
            if delta > 0 and kind in EARNING_KINDS:
                account.earned_minutes += delta
            elif delta < 0 and kind == TxnKind.correction:
                account.earned_minutes = max(0, account.earned_minutes + delta)
            elif delta < 0 and kind in SPENDING_KINDS:
                account.spent_minutes -= delta
        session.add(account)
        entries.append((account_id, delta, account.balance_minutes))
    if len(entries) < 2:
        raise ValueError("a transaction must move minutes between two accounts")
    seq = head.seq + 1
    digest = txn_hash(
        seq=seq,
        kind=kind,
        memo=memo,
        actor_id=actor_id,
        org_id=org_id,
        ref_type=ref_type,
        ref_id=ref_id,
        ref_user_id=ref_user_id,
        created_at=now,
        prev_hash=head.last_hash,
        entries=entries,
    )
    txn = LedgerTxn(
        seq=seq,
        kind=kind,
        memo=memo,
        actor_id=actor_id,
        org_id=org_id,
        ref_type=ref_type,
        ref_id=ref_id,
        ref_user_id=ref_user_id,
        created_at=now,
        prev_hash=head.last_hash,
        hash=digest,
    )
    session.add(txn)
    await session.flush()
    for account_id, amount, after in entries:
        session.add(
            LedgerEntry(
                txn_id=cast(int, txn.id),
                account_id=account_id,
                amount_minutes=amount,
                balance_after_minutes=after,
            )
        )
    head.seq, head.last_hash = seq, digest
    session.add(head)
    await session.flush()
    return txn


async def credit_service(
    session: AsyncSession,
    *,
    org_id: int,
    user_id: int,
    minutes: int,
    ref_type: str,
    ref_id: int,
    memo: str,
    actor_id: int | None,
) -> LedgerTxn | None:
    """Issue `minutes` of service from the issuing account of the community over `org_id` to the user.

    Idempotent by (ref_type, ref_id, user_id): a second call returns the first txn and posts nothing.
    Only flushes; the caller's use case commits. minutes <= 0 posts nothing (returns None).
    """
    if minutes <= 0:
        return None
    await lock_chain(session)  # concurrent duplicates queue here; the second then sees the first
    existing = await find_by_ref(session, ref_type=ref_type, ref_id=ref_id, user_id=user_id)
    if existing is not None:
        return existing
    issuer = await issuing_account(session, org_id=org_id)
    person = await person_account(session, user_id=user_id)
    return await post(
        session,
        kind=TxnKind.earn,
        legs=[(issuer, -minutes), (person, minutes)],
        memo=memo,
        actor_id=actor_id,
        org_id=org_id,
        ref_type=ref_type,
        ref_id=ref_id,
        ref_user_id=user_id,
    )


async def find_by_ref(session: AsyncSession, *, ref_type: str, ref_id: int, user_id: int) -> LedgerTxn | None:
    """The txn that credited `user_id` for this reference, if any."""
    return (
        await session.exec(
            select(LedgerTxn).where(
                LedgerTxn.ref_type == ref_type, LedgerTxn.ref_id == ref_id, LedgerTxn.ref_user_id == user_id
            )
        )
    ).first()


async def reverse(session: AsyncSession, *, txn_id: int, memo: str, actor_id: int | None) -> LedgerTxn:
    """Post the mirror image of a txn (a mistake is undone by a new txn, never by an edit). Flushes."""
    original = await session.get(LedgerTxn, txn_id)
    if original is None:
        raise NotFound("流水不存在", code="txn_not_found")
    rows = (await session.exec(select(LedgerEntry).where(LedgerEntry.txn_id == txn_id))).all()
    accounts = {
        a.id: a
        for a in (
            await session.exec(
                select(LedgerAccount).where(col(LedgerAccount.id).in_([e.account_id for e in rows]))
            )
        ).all()
    }
    legs = [(accounts[e.account_id], -e.amount_minutes) for e in rows]
    return await post(
        session,
        kind=TxnKind.reversal,
        legs=legs,
        memo=memo,
        actor_id=actor_id,
        org_id=original.org_id,
        ref_type="reversal",
        ref_id=original.id,
        ref_user_id=0,
    )  # 0, not NULL: the unique (ref) key then lets a txn be reversed once


# ---- verification --------------------------------------------------------------------------


@dataclass
class LedgerCheck:
    """What `verify` found: totals and where it breaks, if it does."""

    transactions: int = 0
    entries_sum: int = 0
    chain_ok: bool = True
    balances_ok: bool = True
    first_broken_txn_id: int | None = None
    unbalanced_txn_ids: list[int] = field(default_factory=list)
    mismatched_accounts: list[tuple[int, int, int]] = field(default_factory=list)  # (id, balance, sum)
    negative_person_account_ids: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.chain_ok
            and self.balances_ok
            and self.entries_sum == 0
            and not self.unbalanced_txn_ids
            and not self.negative_person_account_ids
        )


async def verify(session: AsyncSession, *, batch: int = 2000) -> LedgerCheck:
    """Prove the whole ledger: the chain walk, then the balance comparison (see each).

    Safe while postings go on: the walk stops at the chain head read first (committed txns never
    change), and balances are compared with their entries in one statement (one snapshot).
    """
    check = LedgerCheck()
    await walk_chain(session, check, batch=batch)
    await compare_balances(session, check)
    if check.entries_sum != 0:
        check.problems.append(
            f"全部分录合计 {check.entries_sum} 分钟，不为零 (all entries sum to {check.entries_sum})"
        )
    return check


async def walk_chain(session: AsyncSession, check: LedgerCheck, *, batch: int = 2000) -> None:
    """Walk the txns in chain order up to the head read first: each sums to zero over two or more
    entries, each entry's balance-after follows its account's running sum, and each txn's hash
    recomputes and links to its predecessor; the head names the last one."""
    head = await session.get(LedgerHead, HEAD_ID, populate_existing=True)
    upto = head.seq if head is not None else None
    prev_hash, last_seq = GENESIS_HASH, 0
    running: dict[int, int] = {}
    while True:
        stmt = select(LedgerTxn).where(LedgerTxn.seq > last_seq)
        if upto is not None:
            stmt = stmt.where(LedgerTxn.seq <= upto)
        txns = (
            await session.exec(
                stmt.order_by(col(LedgerTxn.seq)).limit(batch).execution_options(populate_existing=True)
            )
        ).all()
        if not txns:
            break
        ids = [cast(int, t.id) for t in txns]
        entries: dict[int, list[LedgerEntry]] = {i: [] for i in ids}
        for e in (
            await session.exec(
                select(LedgerEntry)
                .where(col(LedgerEntry.txn_id).in_(ids))
                .order_by(col(LedgerEntry.id))
                .execution_options(populate_existing=True)
            )
        ).all():
            entries[e.txn_id].append(e)
        for t, txn_id in zip(txns, ids, strict=True):
            check.transactions += 1
            rows = entries[txn_id]
            total = sum(e.amount_minutes for e in rows)
            check.entries_sum += total
            if total != 0 or len(rows) < 2:
                check.unbalanced_txn_ids.append(txn_id)
                check.problems.append(
                    f"流水 {t.id} 的分录合计为 {total} 分钟，不为零 (txn {t.id} entries sum to {total})"
                )
            for e in rows:
                running[e.account_id] = running.get(e.account_id, 0) + e.amount_minutes
                if e.balance_after_minutes != running[e.account_id] and check.balances_ok:
                    check.balances_ok = False
                    check.problems.append(
                        f"分录 {e.id}（流水 {t.id}）记录的余额 {e.balance_after_minutes} 与累计 {running[e.account_id]} 不符 "
                        f"(entry {e.id} in txn {t.id}: balance_after mismatch)"
                    )
            broken = t.seq != last_seq + 1 or t.prev_hash != prev_hash or hash_of(t, rows) != t.hash
            if broken and check.chain_ok:
                check.chain_ok = False
                check.first_broken_txn_id = t.id
                check.problems.append(
                    f"哈希链在流水 {t.id} 处断开或内容被改动 (hash chain breaks at txn {t.id})"
                )
            prev_hash, last_seq = t.hash, t.seq
    # Txns cut off the end of the chain leave the head pointing past the last one; a lost head hides the end.
    if check.chain_ok and (
        (head is None and last_seq)
        or (head is not None and (head.seq != last_seq or (last_seq and head.last_hash != prev_hash)))
    ):
        check.chain_ok = False
        check.problems.append(f"链头与最后一笔流水不符 (chain head does not match txn seq {last_seq})")


async def compare_balances(session: AsyncSession, check: LedgerCheck) -> None:
    """Every account's stored balance equals the sum of its entries (one statement: one snapshot),
    and no person's balance is below zero."""
    sums = (
        select(
            LedgerAccount.id,
            LedgerAccount.kind,
            LedgerAccount.balance_minutes,
            func.coalesce(func.sum(LedgerEntry.amount_minutes), 0),
        )
        .select_from(LedgerAccount)
        .join(LedgerEntry, col(LedgerEntry.account_id) == col(LedgerAccount.id), isouter=True)
        .group_by(col(LedgerAccount.id), col(LedgerAccount.kind), col(LedgerAccount.balance_minutes))
        .order_by(col(LedgerAccount.id))
    )
    for row_id, kind, balance, total in (await session.exec(sums)).all():
        account_id = cast(int, row_id)
        if balance != total:
            check.balances_ok = False
            check.mismatched_accounts.append((account_id, balance, int(total)))
            check.problems.append(
                f"账户 {account_id} 余额 {balance} 分钟，分录合计 {total} 分钟 "
                f"(account {account_id}: balance {balance} != entries {total})"
            )
        if kind == AccountKind.person and balance < 0:
            check.negative_person_account_ids.append(account_id)
            check.problems.append(f"个人账户 {account_id} 余额为负 (person account {account_id} is negative)")


# ---- taking back a service credit ----------------------------------------------------------


async def reverse_credit(session: AsyncSession, *, txn_id: int, memo: str, actor_id: int | None) -> LedgerTxn:
    """Take back a service credit (an `earn` txn) by its reversal, and lower the person's earned
    minutes (star levels) by what it had added: `post` counts a person's earned minutes down only for
    corrections. Raises InsufficientBalance if the person has already spent them. Flushes."""
    original = await session.get(LedgerTxn, txn_id)
    if original is None or original.kind != TxnKind.earn:
        raise NotFound("服务记入流水不存在", code="txn_not_found")
    txn = await reverse(session, txn_id=txn_id, memo=memo, actor_id=actor_id)
    legs = (
        await session.exec(
            select(LedgerAccount, LedgerEntry.amount_minutes)
            .join(LedgerEntry, col(LedgerEntry.account_id) == col(LedgerAccount.id))
            .where(LedgerEntry.txn_id == txn_id, LedgerAccount.kind == AccountKind.person)
        )
    ).all()
    for account, minutes in legs:  # locked by the reversal's posting, in this transaction
        if minutes > 0:
            account.earned_minutes = max(0, account.earned_minutes - minutes)
            session.add(account)
    await session.flush()
    return txn
