"""crediting policy: raise margin, minimum stay, no-sign-out credit, per-activity ceiling

Revision ID: hours_01
Revises: 0007
Create Date: 2026-12-02 11:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "hours_01"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("timebank_policies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("raise_margin_percent", sa.Integer(), nullable=False, server_default="150")
        )
        batch_op.add_column(sa.Column("min_stay_minutes", sa.Integer(), nullable=False, server_default="15"))
        batch_op.add_column(sa.Column("no_signout_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("activity_ceiling_minutes", sa.Integer(), nullable=False, server_default="240")
        )


def downgrade() -> None:
    with op.batch_alter_table("timebank_policies", schema=None) as batch_op:
        batch_op.drop_column("activity_ceiling_minutes")
        batch_op.drop_column("no_signout_minutes")
        batch_op.drop_column("min_stay_minutes")
        batch_op.drop_column("raise_margin_percent")
