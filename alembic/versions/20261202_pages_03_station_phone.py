"""stations have a public phone

`stations.phone`: the number residents tap to call (a landline or the duty mobile); empty for none.

Revision ID: pages_03
Revises: pages_02
Create Date: 2026-12-02 15:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pages_03"
down_revision: str | Sequence[str] | None = "pages_02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stations") as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=20), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("stations") as batch_op:
        batch_op.drop_column("phone")
