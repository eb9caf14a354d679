"""counters never go below zero

Taken places on shifts and activities, claimed post slots and reward stock are only moved by conditional
updates; a CHECK makes the database refuse a negative count should any statement ever try.

Revision ID: trust_02
Revises: trust_01
Create Date: 2026-12-02 12:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "trust_02"
down_revision: str | Sequence[str] | None = "trust_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTERS = (
    ("duty_shifts", "signed_up"),
    ("activities", "signed_up"),
    ("member_posts", "claimed"),
    ("timebank_rewards", "stock"),
)


def upgrade() -> None:
    for table, column in COUNTERS:
        # Rows already driven negative by the old unconditional decrements are set right first.
        op.execute(f"UPDATE {table} SET {column} = 0 WHERE {column} < 0")
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_check_constraint(f"{column}_non_negative", f"{column} >= 0")


def downgrade() -> None:
    for table, column in reversed(COUNTERS):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"ck_{table}_{column}_non_negative"), type_="check")
