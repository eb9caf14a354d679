"""figures: when attendance and duty were credited (the date service minutes count on)

Revision ID: hours_02
Revises: alliance_02
Create Date: 2026-12-02 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "hours_02"
down_revision: str | Sequence[str] | None = "alliance_02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Settled rows take the moment their ledger credit was posted, or else the moment they ended.
_ATTENDANCE = """
UPDATE activity_attendances SET credited_at = COALESCE(
    (SELECT t.created_at FROM ledger_txns t WHERE t.ref_type = 'activity'
        AND t.ref_id = activity_attendances.activity_id AND t.ref_user_id = activity_attendances.user_id),
    signed_out_at,
    (SELECT a.closed_at FROM activities a WHERE a.id = activity_attendances.activity_id),
    signed_in_at)
WHERE credited_minutes IS NOT NULL
"""
_DUTY = """
UPDATE shift_signups SET credited_at = COALESCE(
    (SELECT t.created_at FROM ledger_txns t WHERE t.ref_type = 'shift'
        AND t.ref_id = shift_signups.shift_id AND t.ref_user_id = shift_signups.user_id),
    ended_at)
WHERE credited
"""


def upgrade() -> None:
    for table in ("activity_attendances", "shift_signups"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("credited_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
            )
            batch_op.create_index(batch_op.f(f"ix_{table}_credited_at"), ["credited_at"], unique=False)
    op.execute(_ATTENDANCE)
    op.execute(_DUTY)


def downgrade() -> None:
    for table in ("shift_signups", "activity_attendances"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_credited_at"))
            batch_op.drop_column("credited_at")
