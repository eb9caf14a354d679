"""an activity's close can be undone

`activities.close_round`: how many closes were undone; each undo starts a new crediting round whose
credits carry their own ledger reference. `activity_attendances.credit_round` and
`credited_by_close`: the round an attendance was credited in, and whether the close credited it (an
undo reverses only those).

Revision ID: undo_01
Revises: speed_02
Create Date: 2026-12-07 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "undo_01"
down_revision: str | Sequence[str] | None = "speed_02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("activities") as batch_op:
        batch_op.add_column(sa.Column("close_round", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("activity_attendances") as batch_op:
        batch_op.add_column(sa.Column("credit_round", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("credited_by_close", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("activity_attendances") as batch_op:
        batch_op.drop_column("credited_by_close")
        batch_op.drop_column("credit_round")
    with op.batch_alter_table("activities") as batch_op:
        batch_op.drop_column("close_round")
