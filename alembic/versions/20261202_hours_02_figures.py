"""figures: when attendance and duty were credited (the date service minutes count on); units host activities in their communities

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
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("host_org_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_activities_host_org_id"), ["host_org_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_activities_host_org_id_orgs"), "orgs", ["host_org_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_activities_host_org_id_orgs"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_activities_host_org_id"))
        batch_op.drop_column("host_org_id")
    for table in ("shift_signups", "activity_attendances"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_credited_at"))
            batch_op.drop_column("credited_at")
