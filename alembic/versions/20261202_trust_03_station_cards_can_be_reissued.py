"""station cards can be re-issued

The issue number printed into a station card's code; a re-issue bumps it and older cards stop working.
Cards printed so far are issue 0 and stay valid until their station re-issues.

Revision ID: trust_03
Revises: trust_02
Create Date: 2026-12-02 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "trust_03"
down_revision: str | Sequence[str] | None = "trust_02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stations") as batch_op:
        batch_op.add_column(sa.Column("card_version", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("stations") as batch_op:
        batch_op.drop_column("card_version")
