"""claim limits per alliance

`claim_policies`: how many open claims a person may hold, how many claims a day, and how many
releases a day before they cannot claim again that day. Alliances without a row use the defaults.

Revision ID: trust_05
Revises: trust_04
Create Date: 2026-12-02 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "trust_05"
down_revision: str | Sequence[str] | None = "trust_04"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "claim_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alliance_id", sa.Integer(), nullable=False),
        sa.Column("max_open_claims", sa.Integer(), nullable=False),
        sa.Column("max_claims_per_day", sa.Integer(), nullable=False),
        sa.Column("max_releases_per_day", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alliance_id"], ["orgs.id"], name=op.f("fk_claim_policies_alliance_id_orgs")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_claim_policies_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_policies")),
        sa.UniqueConstraint("alliance_id", name=op.f("uq_claim_policies_alliance_id")),
    )


def downgrade() -> None:
    op.drop_table("claim_policies")
