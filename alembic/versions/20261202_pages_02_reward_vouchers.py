"""reward vouchers: a pickup code and a hand-over

A redemption now carries an 8-digit pickup code (shown on the resident's voucher), a status
(`redeemed` → `handed_over`) and who handed it over when. Redemptions made before stay `redeemed`
without a code; the station hands them over from its list.

Revision ID: pages_02
Revises: trust_06
Create Date: 2026-12-02 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "pages_02"
down_revision: str | Sequence[str] | None = "trust_06"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("timebank_redemptions") as batch_op:
        batch_op.add_column(sa.Column("pickup_code", sa.String(length=8), nullable=True))
        batch_op.add_column(
            sa.Column("status", sa.String(length=12), server_default="redeemed", nullable=False)
        )
        batch_op.add_column(
            sa.Column("handed_over_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("handed_over_by", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_timebank_redemptions_pickup_code"), ["pickup_code"])
        batch_op.create_foreign_key(
            batch_op.f("fk_timebank_redemptions_handed_over_by_users"), "users", ["handed_over_by"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("timebank_redemptions") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_timebank_redemptions_handed_over_by_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_timebank_redemptions_pickup_code"), type_="unique")
        batch_op.drop_column("handed_over_by")
        batch_op.drop_column("handed_over_at")
        batch_op.drop_column("status")
        batch_op.drop_column("pickup_code")
