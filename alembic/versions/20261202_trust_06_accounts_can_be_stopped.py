"""accounts can be stopped

`users.blocked_at` and `users.blocked_reason`: an admin over the node a person belongs to may stop the
account; every token is refused and signing in is refused until the admin restores it.

Revision ID: trust_06
Revises: trust_05
Create Date: 2026-12-02 15:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "trust_06"
down_revision: str | Sequence[str] | None = "trust_05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column("blocked_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("blocked_reason", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("blocked_reason")
        batch_op.drop_column("blocked_at")
