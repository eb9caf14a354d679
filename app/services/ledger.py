"""The ledger's one posting function, and the checks that prove the ledger balances and is untampered.

Every module that moves minutes calls `post` (or `credit_service`, built on it; `credit_many` is
`credit_service` for a batch, writing what one `credit_service` per credit would, with the same
`txn_hash` and `tallies`, in a bounded number of statements). A posting:
1. locks the accounts it touches, in id order (no deadlocks), and nothing else: postings on
   disjoint accounts run side by side (there is no global chain head);
2. refuses to take a person below zero (the database's CHECK refuses it too);
3. writes the txn and its entries (summing to zero, each with the balance after it) and moves each
   account's balance and the head of its own hash chain. It only flushes: the caller commits.

Tamper evidence is a hash chain per account, as pgledger keeps a version per account: each entry
carries its account's version after it and the hash of the account's previous txn, and the txn's
hash seals its content and all of its entries. So editing, dropping or inserting a txn breaks the
chain of every account it touched, and an account row names the end of its chain (a txn cut off
the end shows). Commit order needs no global line: two txns on one account are ordered by that
account's lock, which also orders their ids.
"""

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, cast

from sqlalchemy import ColumnElement, and_, bindparam, func, insert, or_, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.db import dialect_insert
from app.errors import Conflict, NotFound
from app.hours import hours_text
from app.models.org import Org, OrgKind
from app.models.timebank import AccountKind, LedgerAccount, LedgerEntry, LedgerTxn, TxnKind

GENESIS_HASH = "0" * 64
# Kinds whose credit to a person counts as earned service (star levels); corrections take it back.
EARNING_KINDS = {TxnKind.earn, TxnKind.grant}
SPENDING_KINDS = {TxnKind.redeem, TxnKind.spend, TxnKind.transfer}


class InsufficientBalance(Conflict):
    code, title = "insufficient_balance", "时间余额不足"


# ---- accounts -------------------------------------------------------------------------------


async def person_account(session: AsyncSession, *, user_id: int) -> LedgerAccount:
    """The person's account, made on first use (a concurrent first use makes it once)."""
    account = await find_person_account(session, user_id=user_id)
    if account is None:
        await _make_account(session, kind=AccountKind.person, user_id=user_id)
        account = cast(LedgerAccount, await find_person_account(session, user_id=user_id))
    return account


async def find_person_account(session: AsyncSession, *, user_id: int) -> LedgerAccount | None:
    """The person's account if they have one (a read; O(1) whatever the history)."""
    return (await session.exec(select(LedgerAccount).where(col(LedgerAccount.user_id) == user_id))).first()


async def system_account(session: AsyncSession, *, kind: str, org_id: int) -> LedgerAccount:
    """An org node's issuing or shelf account, made on first use (a concurrent first use makes it once)."""
    stmt = select(LedgerAccount).where(col(LedgerAccount.kind) == kind, col(LedgerAccount.org_id) == org_id)
    account = (await session.exec(stmt)).first()
    if account is None:
        await _make_account(session, kind=kind, org_id=org_id)
        account = (await session.exec(stmt)).one()
    return account


async def _make_account(
    session: AsyncSession, *, kind: str, user_id: int | None = None, org_id: int | None = None
) -> None:
    """INSERT … ON CONFLICT DO NOTHING: the unique keys (user; kind and org) decide who made it first."""
    values = _new_account(kind=kind, user_id=user_id, org_id=org_id, now=clock.now())
    await session.exec(dialect_insert(session, LedgerAccount).values(**values).on_conflict_do_nothing())


def _new_account(
    *, kind: str, now: datetime, user_id: int | None = None, org_id: int | None = None
) -> dict[str, object]:
    """An empty account's row: nothing in it, its chain at the genesis."""
    return {
        "kind": kind,
        "user_id": user_id,
        "org_id": org_id,
        "balance_minutes": 0,
        "earned_minutes": 0,
        "spent_minutes": 0,
        "version": 0,
        "last_hash": GENESIS_HASH,
        "created_at": now,
    }


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


async def lock_accounts(session: AsyncSession, account_ids: Iterable[int]) -> dict[int, LedgerAccount]:
    """Lock these accounts FOR UPDATE in id order (one order everywhere: no deadlocks) and read them
    as the database holds them. A use case that must read a balance and decide before posting takes
    them first; `post` taking them again is free. SQLite writers already hold the write lock."""
    locked = await _lock(session, col(LedgerAccount.id).in_(sorted(set(account_ids))))
    return {cast(int, a.id): a for a in locked}


async def _lock(session: AsyncSession, where: ColumnElement[bool]) -> Sequence[LedgerAccount]:
    """The accounts `where` picks, locked FOR UPDATE in id order and read as the database holds them."""
    return (
        await session.exec(
            select(LedgerAccount)
            .where(where)
            .order_by(col(LedgerAccount.id))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).all()


def txn_hash(
    *,
    kind: str,
    memo: str,
    actor_id: int | None,
    org_id: int | None,
    ref_type: str | None,
    ref_id: int | None,
    ref_user_id: int | None,
    created_at: datetime,
    entries: list[tuple[int, int, int, int, str]],
) -> str:
    """SHA-256 over a canonical JSON of the txn's content and its entries, each as (account, amount,
    balance after, the account's version after, the hash of the account's previous txn)."""
    content = {
        "kind": kind,
        "memo": memo,
        "actor_id": actor_id,
        "org_id": org_id,
        "ref_type": ref_type,
        "ref_id": ref_id,
        "ref_user_id": ref_user_id,
        "created_at": created_at.isoformat(timespec="microseconds"),
        "entries": sorted([list(e) for e in entries]),
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def hash_of(txn: LedgerTxn, entries: list[LedgerEntry]) -> str:
    """The hash a stored txn should carry, recomputed from what is stored."""
    return txn_hash(
        kind=txn.kind,
        memo=txn.memo,
        actor_id=txn.actor_id,
        org_id=txn.org_id,
        ref_type=txn.ref_type,
        ref_id=txn.ref_id,
        ref_user_id=txn.ref_user_id,
        created_at=txn.created_at,
        entries=[
            (e.account_id, e.amount_minutes, e.balance_after_minutes, e.account_version, e.prev_hash)
            for e in entries
        ],
    )


def tallies(account: LedgerAccount, *, kind: str, delta: int) -> tuple[int, int]:
    """The account's earned and spent minutes after a leg of `delta` in a txn of `kind`: a person's
    earning kinds count toward earned (star levels), corrections take it back, spending counts spent."""
    earned, spent = account.earned_minutes, account.spent_minutes
    if account.kind == AccountKind.person:
        if delta > 0 and kind in EARNING_KINDS:
            earned += delta
        elif delta < 0 and kind == TxnKind.correction:
            earned = max(0, earned + delta)
        elif delta < 0 and kind in SPENDING_KINDS:
            spent -= delta
    return earned, spent


def entry_rows(txn_id: int, links: list[tuple[int, int, int, int, str]]) -> list[dict[str, object]]:
    """The ledger_entries rows of one txn from its (account, amount, balance after, version, prev hash)."""
    return [
        {
            "txn_id": txn_id,
            "account_id": account_id,
            "amount_minutes": amount,
            "balance_after_minutes": after,
            "account_version": version,
            "prev_hash": prev,
        }
        for account_id, amount, after, version, prev in links
    ]


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
    Its statements: lock the accounts, insert the txn, insert its entries (one statement), move each
    account. Only flushes; the caller commits.
    """
    if len(legs) < 2 or sum(m for _, m in legs) != 0 or any(m == 0 for _, m in legs):
        raise ValueError("a transaction needs two or more non-zero legs summing to zero")
    totals: dict[int, int] = {}
    for account, minutes in legs:
        account_id = cast(int, account.id)
        totals[account_id] = totals.get(account_id, 0) + minutes
    moves = {account_id: delta for account_id, delta in totals.items() if delta != 0}
    if len(moves) < 2:
        raise ValueError("a transaction must move minutes between two accounts")
    by_id = await lock_accounts(session, moves)
    for account_id, delta in moves.items():
        account = by_id[account_id]
        if account.kind == AccountKind.person and account.balance_minutes + delta < 0:
            raise InsufficientBalance(f"余额不足：当前余额 {hours_text(account.balance_minutes)}")
    now = clock.now()
    entries = [
        (
            account_id,
            moves[account_id],
            by_id[account_id].balance_minutes + moves[account_id],
            by_id[account_id].version + 1,
            by_id[account_id].last_hash,
        )
        for account_id in sorted(moves)
    ]
    digest = txn_hash(
        kind=kind,
        memo=memo,
        actor_id=actor_id,
        org_id=org_id,
        ref_type=ref_type,
        ref_id=ref_id,
        ref_user_id=ref_user_id,
        created_at=now,
        entries=entries,
    )
    txn = LedgerTxn(
        kind=kind,
        memo=memo,
        actor_id=actor_id,
        org_id=org_id,
        ref_type=ref_type,
        ref_id=ref_id,
        ref_user_id=ref_user_id,
        created_at=now,
        hash=digest,
    )
    session.add(txn)
    await session.flush()
    txn_id = cast(int, txn.id)
    await session.exec(dialect_insert(session, LedgerEntry).values(entry_rows(txn_id, entries)))
    for account_id, delta, after, version, _ in entries:
        account = by_id[account_id]
        earned, spent = tallies(account, kind=kind, delta=delta)
        await session.exec(
            update(LedgerAccount)
            .where(col(LedgerAccount.id) == account_id)
            .execution_options(synchronize_session=False)
            .values(
                balance_minutes=after,
                earned_minutes=earned,
                spent_minutes=spent,
                version=version,
                last_hash=digest,
            )
        )
        # The caller's account objects (the identity map's, so the same ones) read what was written,
        # with no refresh round trip and no pending change for the next flush.
        new = {"balance_minutes": after, "earned_minutes": earned, "spent_minutes": spent}
        for name, value in {**new, "version": version, "last_hash": digest}.items():
            set_committed_value(account, name, value)
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
    issuer = await issuing_account(session, org_id=org_id)
    person = await person_account(session, user_id=user_id)
    # Both accounts first, in id order: a concurrent duplicate queues here and then sees the first.
    await lock_accounts(session, [cast(int, issuer.id), cast(int, person.id)])
    existing = await find_by_ref(session, ref_type=ref_type, ref_id=ref_id, user_id=user_id)
    if existing is not None:
        return existing
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


BATCH = 1000  # rows per multi-row INSERT: 9 columns each, well within either database's bound parameters


def _parts(rows: list[dict[str, object]]) -> list[list[dict[str, object]]]:
    return [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]


class Credit(NamedTuple):
    """One service credit of a batch: `minutes` to `user_id`, once per (ref_type, ref_id, user_id)."""

    user_id: int
    minutes: int
    ref_type: str
    ref_id: int
    memo: str


async def credit_many(
    session: AsyncSession, *, org_id: int, credits: Sequence[Credit], actor_id: int | None
) -> dict[tuple[str, int, int], int]:
    """`credit_service` for many people at once (closing an activity of hundreds), with its rules and
    results: the same txns, entries, balances, earned minutes and per-account chains as crediting them
    one by one in this order, in a bounded number of statements whatever their number.

    Makes missing person accounts in one INSERT … ON CONFLICT DO NOTHING; locks the issuing account
    and every person's in id order in one SELECT … FOR UPDATE; reads the references already credited
    in one query (idempotent by (ref_type, ref_id, user_id), as `credit_service`: those post nothing);
    computes each txn's entries and hash in order (the issuing account's chain runs from one txn of
    the batch to the next); then inserts the txns, the entries and moves the accounts in one
    statement each. Returns (ref_type, ref_id, user_id) → the txn id that credits it (new or earlier);
    minutes <= 0 post nothing. Only flushes; the caller commits.
    """
    wanted: dict[tuple[str, int, int], Credit] = {}
    for c in credits:
        if c.minutes > 0:
            wanted.setdefault((c.ref_type, c.ref_id, c.user_id), c)  # a repeat in the batch is a replay
    if not wanted:
        return {}
    issuer = await issuing_account(session, org_id=org_id)
    user_ids = sorted({c.user_id for c in wanted.values()})
    now = clock.now()
    for part in _parts([_new_account(kind=AccountKind.person, user_id=u, now=now) for u in user_ids]):
        await session.exec(dialect_insert(session, LedgerAccount).values(part).on_conflict_do_nothing())
    locked = await _lock(
        session,
        or_(
            col(LedgerAccount.id) == issuer.id,
            and_(col(LedgerAccount.kind) == AccountKind.person, col(LedgerAccount.user_id).in_(user_ids)),
        ),
    )
    issuer = next(a for a in locked if a.id == issuer.id)
    person = {cast(int, a.user_id): a for a in locked if a.kind == AccountKind.person}
    by_ref: dict[tuple[str, int], list[int]] = {}
    for ref_type, ref_id, user_id in wanted:
        by_ref.setdefault((ref_type, ref_id), []).append(user_id)
    done = {
        (cast(str, ref_type), cast(int, ref_id), cast(int, user_id)): cast(int, txn_id)
        for txn_id, ref_type, ref_id, user_id in (
            await session.exec(
                select(LedgerTxn.id, LedgerTxn.ref_type, LedgerTxn.ref_id, LedgerTxn.ref_user_id).where(
                    or_(
                        *(
                            and_(
                                col(LedgerTxn.ref_type) == ref_type,
                                col(LedgerTxn.ref_id) == ref_id,
                                col(LedgerTxn.ref_user_id).in_(users),
                            )
                            for (ref_type, ref_id), users in by_ref.items()
                        )
                    )
                )
            )
        ).all()
    }
    todo = [(key, c) for key, c in wanted.items() if key not in done]
    if not todo:
        return done
    txns: list[dict[str, object]] = []
    entries: list[list[tuple[int, int, int, int, str]]] = []
    for (ref_type, ref_id, user_id), c in todo:
        legs = sorted(
            [(issuer, -c.minutes), (person[user_id], c.minutes)], key=lambda leg: cast(int, leg[0].id)
        )
        links = [
            (cast(int, a.id), delta, a.balance_minutes + delta, a.version + 1, a.last_hash)
            for a, delta in legs
        ]
        digest = txn_hash(
            kind=TxnKind.earn,
            memo=c.memo,
            actor_id=actor_id,
            org_id=org_id,
            ref_type=ref_type,
            ref_id=ref_id,
            ref_user_id=user_id,
            created_at=now,
            entries=links,
        )
        # The next txn of the batch links to this one: the accounts' heads move in memory, as `post`'s.
        for (account, delta), (_, _, after, version, _) in zip(legs, links, strict=True):
            earned, spent = tallies(account, kind=TxnKind.earn, delta=delta)
            heads = {"balance_minutes": after, "earned_minutes": earned, "spent_minutes": spent}
            for name, value in {**heads, "version": version, "last_hash": digest}.items():
                set_committed_value(account, name, value)
        txns.append(
            {
                "kind": TxnKind.earn,
                "memo": c.memo,
                "actor_id": actor_id,
                "org_id": org_id,
                "ref_type": ref_type,
                "ref_id": ref_id,
                "ref_user_id": user_id,
                "created_at": now,
                "hash": digest,
            }
        )
        entries.append(links)
    # Multi-row INSERTs (of up to BATCH txns each) return each txn's id by its hash (unique); the ids
    # must rise in the batch's order (each account's chain is walked in id order), as they do when one
    # INSERT's rows take the sequence's next values in turn.
    id_of: dict[object, int] = {}
    for part in _parts(txns):
        stmt = insert(LedgerTxn).values(part).returning(col(LedgerTxn.id), col(LedgerTxn.hash))
        id_of.update({h: cast(int, i) for i, h in (await session.exec(stmt)).all()})
    ids = [id_of[t["hash"]] for t in txns]
    if ids != sorted(ids):
        raise RuntimeError("the batch's txn ids do not rise in its order")
    await session.exec(
        insert(LedgerEntry),
        params=[row for txn_id, links in zip(ids, entries, strict=True) for row in entry_rows(txn_id, links)],
    )
    moved = {cast(int, a.id): a for a in [issuer, *(person[key[2]] for key, _ in todo)]}
    accounts = LedgerAccount.metadata.tables[LedgerAccount.__tablename__]  # Core: one executemany
    await session.exec(
        update(accounts)
        .where(accounts.c.id == bindparam("account_id"))
        .values(
            balance_minutes=bindparam("balance"),
            earned_minutes=bindparam("earned"),
            spent_minutes=bindparam("spent"),
            version=bindparam("new_version"),
            last_hash=bindparam("new_hash"),
        ),
        params=[
            {
                "account_id": account_id,
                "balance": a.balance_minutes,
                "earned": a.earned_minutes,
                "spent": a.spent_minutes,
                "new_version": a.version,
                "new_hash": a.last_hash,
            }
            for account_id, a in sorted(moved.items())
        ],
    )
    return {**done, **{key: txn_id for (key, _), txn_id in zip(todo, ids, strict=True)}}


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

    Safe while postings go on: on PostgreSQL a session that has not begun yet reads everything in
    one REPEATABLE READ snapshot (SQLite's read transaction is one snapshot already), so a txn that
    commits meanwhile is either wholly seen, with its accounts' heads, or not at all. (A session already
    in a transaction, or bound to a caller's connection, is read as it is.)
    """
    bind = session.bind
    if isinstance(bind, AsyncEngine) and not session.in_transaction() and bind.dialect.name == "postgresql":
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    check = LedgerCheck()
    await walk_chain(session, check, batch=batch)
    await compare_balances(session, check)
    if check.entries_sum != 0:
        check.problems.append(
            f"全部分录合计 {check.entries_sum} 分钟，不为零 (all entries sum to {check.entries_sum})"
        )
    return check


@dataclass
class _Link:
    """Where the walk has got to on one account's chain."""

    version: int = 0
    last_hash: str = GENESIS_HASH
    running: int = 0


async def walk_chain(session: AsyncSession, check: LedgerCheck, *, batch: int = 2000) -> None:
    """Walk the txns in id order (on each account, the order its lock gave them): each sums to zero over
    two or more entries and recomputes to its hash; each entry follows its account's chain (the next
    version, the previous txn's hash, the running balance); each account's head names its last link."""
    links: dict[int, _Link] = {}
    last_id = 0

    def broken(txn_id: int, problem: str) -> None:
        if check.chain_ok:
            check.chain_ok = False
            check.first_broken_txn_id = txn_id
            check.problems.append(problem)

    while True:
        txns = (
            await session.exec(
                select(LedgerTxn)
                .where(col(LedgerTxn.id) > last_id)
                .order_by(col(LedgerTxn.id))
                .limit(batch)
                .execution_options(populate_existing=True)
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
            if hash_of(t, rows) != t.hash:
                broken(txn_id, f"哈希链在流水 {t.id} 处断开或内容被改动 (hash chain breaks at txn {t.id})")
            for e in rows:
                link = links.setdefault(e.account_id, _Link())
                link.running += e.amount_minutes
                if e.balance_after_minutes != link.running and check.balances_ok:
                    check.balances_ok = False
                    check.problems.append(
                        f"分录 {e.id}（流水 {t.id}）记录的余额 {e.balance_after_minutes} 与累计 {link.running} 不符 "
                        f"(entry {e.id} in txn {t.id}: balance_after mismatch)"
                    )
                if e.account_version != link.version + 1 or e.prev_hash != link.last_hash:
                    broken(
                        txn_id,
                        f"账户 {e.account_id} 的哈希链在流水 {t.id} 处断开 (account {e.account_id}'s chain breaks at txn {t.id})",
                    )
                link.version, link.last_hash = e.account_version, t.hash
        last_id = ids[-1]
    # Each account's head names the end of its chain: a txn cut off the end, or a head moved, shows.
    for account_id, version, last_hash in (
        await session.exec(
            select(LedgerAccount.id, LedgerAccount.version, LedgerAccount.last_hash).order_by(
                col(LedgerAccount.id)
            )
        )
    ).all():
        link = links.get(cast(int, account_id), _Link())
        if (version, last_hash) != (link.version, link.last_hash) and check.chain_ok:
            check.chain_ok = False
            check.problems.append(
                f"账户 {account_id} 的链头与其最后一笔流水不符 (account {account_id}'s head does not match its last txn)"
            )


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
