"""wishes carry their funnel milestones: the first publish and the first claim, with date indexes

The funnel counted 心愿上墙 from publish events joined to wishes and 心愿认领 from the minimum of each
wish's claims: at 100k wishes those two were most of a year's /stats (a 75k-group aggregate). The
state machine now stamps `first_published_at` and `first_claimed_at` once; this fills them from the
events and claims already there, and indexes the four dates the funnel is counted by.

Revision ID: speed_03
Revises: undo_01
Create Date: 2026-12-07 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "speed_03"
down_revision: str | Sequence[str] | None = "undo_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("wishes") as batch_op:
        batch_op.add_column(
            sa.Column("first_published_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("first_claimed_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE wishes SET first_published_at = (SELECT min(e.at) FROM wish_events e "
        "WHERE e.wish_id = wishes.id AND e.action = 'publish')"
    )
    op.execute(
        "UPDATE wishes SET first_claimed_at = (SELECT min(c.claimed_at) FROM wish_claims c WHERE c.wish_id = wishes.id)"
    )
    op.create_index("ix_wishes_created_at", "wishes", ["created_at"])
    op.create_index("ix_wishes_first_published_at", "wishes", ["first_published_at"])
    op.create_index("ix_wishes_first_claimed_at", "wishes", ["first_claimed_at"])
    op.create_index("ix_wishes_verified_at", "wishes", ["verified_at"])


def downgrade() -> None:
    for name in ("verified_at", "first_claimed_at", "first_published_at", "created_at"):
        op.drop_index(f"ix_wishes_{name}", table_name="wishes")
    with op.batch_alter_table("wishes") as batch_op:
        batch_op.drop_column("first_claimed_at")
        batch_op.drop_column("first_published_at")
