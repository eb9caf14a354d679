"""overdue action items climb a level a day

`action_items.escalated_at`: when an overdue item last climbed; the timed job moves it one level up
the tree for every further day it stays undone, as grid events do. Items already overdue start from
the moment they became overdue.

Revision ID: alliance_03
Revises: hours_02
Create Date: 2026-12-02 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "alliance_03"
down_revision: str | Sequence[str] | None = "hours_02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("action_items") as batch_op:
        batch_op.add_column(
            sa.Column("escalated_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE action_items SET escalated_at = overdue_at WHERE overdue_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("action_items") as batch_op:
        batch_op.drop_column("escalated_at")
