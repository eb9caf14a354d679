"""the ledger's hash chain runs per account: no global head

Each account carries the head of its own chain (`version`, `last_hash`); each entry carries its
account's version after it and the hash of the account's previous txn, sealed into its txn's hash.
The one-row `ledger_head` every posting locked, and the txns' global `seq` and `prev_hash`, go.

The upgrade first proves the old chain (every txn hashes to its seal and links to the one before;
the head names the last) and refuses to re-seal a ledger that does not verify; then it walks the
txns in chain order, giving each entry its link and each txn its new seal. The downgrade does the
reverse walk in id order (per account, the same order). Both hash functions are frozen copies here,
so later changes to app/services/ledger.py cannot change what this migration computes.

Revision ID: speed_02
Revises: alliance_03
Create Date: 2026-12-07 18:30:00
"""

import hashlib
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "speed_02"
down_revision: str | Sequence[str] | None = "alliance_03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
BATCH = 2000

txns = sa.table(
    "ledger_txns",
    sa.column("id", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("memo", sa.String),
    sa.column("actor_id", sa.Integer),
    sa.column("org_id", sa.Integer),
    sa.column("ref_type", sa.String),
    sa.column("ref_id", sa.Integer),
    sa.column("ref_user_id", sa.Integer),
    sa.column("created_at", app.models.base.UTCDateTime()),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)
entries = sa.table(
    "ledger_entries",
    sa.column("id", sa.Integer),
    sa.column("txn_id", sa.Integer),
    sa.column("account_id", sa.Integer),
    sa.column("amount_minutes", sa.Integer),
    sa.column("balance_after_minutes", sa.Integer),
    sa.column("account_version", sa.Integer),
    sa.column("prev_hash", sa.String),
)
accounts = sa.table(
    "ledger_accounts",
    sa.column("id", sa.Integer),
    sa.column("version", sa.Integer),
    sa.column("last_hash", sa.String),
)
head = sa.table(
    "ledger_head",
    sa.column("id", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("last_hash", sa.String),
)


def _digest(content: dict) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _content(t) -> dict:
    return {
        "kind": t.kind,
        "memo": t.memo,
        "actor_id": t.actor_id,
        "org_id": t.org_id,
        "ref_type": t.ref_type,
        "ref_id": t.ref_id,
        "ref_user_id": t.ref_user_id,
        "created_at": t.created_at.isoformat(timespec="microseconds"),
    }


def _global_hash(t, seq: int, prev: str, rows) -> str:
    """The seal of the global chain (before this revision)."""
    legs = sorted([[e.account_id, e.amount_minutes, e.balance_after_minutes] for e in rows])
    return _digest({**_content(t), "seq": seq, "prev_hash": prev, "entries": legs})


def _account_hash(t, legs: list[list]) -> str:
    """The seal of the per-account chains (this revision)."""
    return _digest({**_content(t), "entries": sorted(legs)})


def _walk(bind, order):
    """Batches of txns in `order`, each txn with its entries."""
    last = None
    while True:
        stmt = sa.select(txns).order_by(order).limit(BATCH)
        if last is not None:
            stmt = stmt.where(order > last)
        batch = bind.execute(stmt).all()
        if not batch:
            return
        rows: dict[int, list] = {t.id: [] for t in batch}
        for e in bind.execute(
            sa.select(entries).where(entries.c.txn_id.in_(list(rows))).order_by(entries.c.id)
        ):
            rows[e.txn_id].append(e)
        yield [(t, rows[t.id]) for t in batch]
        last = getattr(batch[-1], order.name)


def _update_many(bind, table, params: list[dict]) -> None:
    """One executemany of `UPDATE table SET … WHERE id = :row_id` for a batch."""
    if params:
        # Bind names other than the columns' own (SQLAlchemy keeps those for itself).
        values = {k: sa.bindparam(f"new_{k}") for k in params[0] if k != "row_id"}
        stmt = table.update().where(table.c.id == sa.bindparam("row_id")).values(**values)
        bind.execute(stmt, [{(k if k == "row_id" else f"new_{k}"): v for k, v in p.items()} for p in params])


def upgrade() -> None:
    with op.batch_alter_table("ledger_accounts") as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("last_hash", sa.String(length=64), nullable=False, server_default=GENESIS)
        )
    with op.batch_alter_table("ledger_entries") as batch_op:
        batch_op.add_column(sa.Column("account_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))

    bind = op.get_bind()
    stored_head = bind.execute(sa.select(head.c.seq, head.c.last_hash).where(head.c.id == 1)).first()
    prev, seq = GENESIS, 0
    links: dict[int, tuple[int, str]] = {}
    for batch in _walk(bind, txns.c.seq):
        sealed_txns, linked_entries = [], []
        for t, rows in batch:
            seq += 1
            if t.seq != seq or t.prev_hash != prev or _global_hash(t, t.seq, t.prev_hash, rows) != t.hash:
                raise RuntimeError(
                    f"ledger chain breaks at txn {t.id}: run `ejia audit-ledger` and repair before upgrading"
                )
            prev = t.hash
            legs = []
            for e in rows:
                version, last = links.get(e.account_id, (0, GENESIS))
                legs.append([e.account_id, e.amount_minutes, e.balance_after_minutes, version + 1, last])
                linked_entries.append({"row_id": e.id, "account_version": version + 1, "prev_hash": last})
            sealed = _account_hash(t, legs)
            sealed_txns.append({"row_id": t.id, "hash": sealed})
            for e in rows:
                links[e.account_id] = (links.get(e.account_id, (0, GENESIS))[0] + 1, sealed)
        _update_many(bind, entries, linked_entries)
        _update_many(bind, txns, sealed_txns)
    if seq and (stored_head is None or (stored_head.seq, stored_head.last_hash) != (seq, prev)):
        raise RuntimeError("ledger chain head does not match its last txn: run `ejia audit-ledger` first")
    _update_many(bind, accounts, [{"row_id": a, "version": v, "last_hash": h} for a, (v, h) in links.items()])

    with op.batch_alter_table("ledger_entries") as batch_op:
        batch_op.alter_column("account_version", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(
            op.f("uq_ledger_entries_account_id_account_version"), ["account_id", "account_version"]
        )
    with op.batch_alter_table("ledger_txns") as batch_op:
        batch_op.drop_constraint(op.f("uq_ledger_txns_seq"), type_="unique")
        batch_op.drop_column("seq")
        batch_op.drop_column("prev_hash")
    op.drop_table("ledger_head")


def downgrade() -> None:
    op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_head")),
    )
    with op.batch_alter_table("ledger_txns") as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))

    bind = op.get_bind()
    prev, seq = GENESIS, 0
    for batch in _walk(bind, txns.c.id):
        sealed_txns = []
        for t, rows in batch:
            seq += 1
            sealed = _global_hash(t, seq, prev, rows)
            sealed_txns.append({"row_id": t.id, "seq": seq, "prev_hash": prev, "hash": sealed})
            prev = sealed
        _update_many(bind, txns, sealed_txns)
    if seq:
        bind.execute(head.insert().values(id=1, seq=seq, last_hash=prev))

    with op.batch_alter_table("ledger_txns") as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(op.f("uq_ledger_txns_seq"), ["seq"])
    with op.batch_alter_table("ledger_entries") as batch_op:
        batch_op.drop_constraint(op.f("uq_ledger_entries_account_id_account_version"), type_="unique")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("account_version")
    with op.batch_alter_table("ledger_accounts") as batch_op:
        batch_op.drop_column("last_hash")
        batch_op.drop_column("version")
