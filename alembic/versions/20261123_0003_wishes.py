"""wishes: wishes, their events and claims, categories per alliance, unit resources, notifications

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-23 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wish_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alliance_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alliance_id"], ["orgs.id"], name=op.f("fk_wish_categories_alliance_id_orgs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wish_categories")),
        sa.UniqueConstraint("alliance_id", "name", name=op.f("uq_wish_categories_alliance_id_name")),
    )
    with op.batch_alter_table("wish_categories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wish_categories_alliance_id"), ["alliance_id"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("link", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("ref_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("ref_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_user_id"), ["user_id"], unique=False)

    op.create_table(
        "unit_resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("contact_name", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("contact_phone", sqlmodel.sql.sqltypes.AutoString(length=11), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_unit_resources_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["orgs.id"], name=op.f("fk_unit_resources_unit_id_orgs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_resources")),
    )
    with op.batch_alter_table("unit_resources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_resources_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "wishes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("poster_id", sa.Integer(), nullable=False),
        sa.Column("acted_by_id", sa.Integer(), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("deadline", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("child_name_enc", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=True),
        sa.Column("child_school_enc", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=True),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("reject_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("assigned_org_id", sa.Integer(), nullable=True),
        sa.Column("published_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimer_id", sa.Integer(), nullable=True),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("promise_date", sa.Date(), nullable=True),
        sa.Column("done_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("minutes_spent", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("verified_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verifier_id", sa.Integer(), nullable=True),
        sa.Column("credit_minutes", sa.Integer(), nullable=True),
        sa.Column("verify_note", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("closed_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["acted_by_id"], ["users.id"], name=op.f("fk_wishes_acted_by_id_users")),
        sa.ForeignKeyConstraint(
            ["assigned_org_id"], ["orgs.id"], name=op.f("fk_wishes_assigned_org_id_orgs")
        ),
        sa.ForeignKeyConstraint(["claimer_id"], ["users.id"], name=op.f("fk_wishes_claimer_id_users")),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_wishes_org_id_orgs")),
        sa.ForeignKeyConstraint(["poster_id"], ["users.id"], name=op.f("fk_wishes_poster_id_users")),
        sa.ForeignKeyConstraint(["reviewer_id"], ["users.id"], name=op.f("fk_wishes_reviewer_id_users")),
        sa.ForeignKeyConstraint(["verifier_id"], ["users.id"], name=op.f("fk_wishes_verifier_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wishes")),
    )
    with op.batch_alter_table("wishes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wishes_assigned_org_id"), ["assigned_org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_wishes_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_wishes_claimer_id"), ["claimer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_wishes_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_wishes_poster_id"), ["poster_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_wishes_status"), ["status"], unique=False)

    op.create_table(
        "wish_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wish_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("claimed_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("promise_date", sa.Date(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("ended_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_wish_claims_user_id_users")),
        sa.ForeignKeyConstraint(["wish_id"], ["wishes.id"], name=op.f("fk_wish_claims_wish_id_wishes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wish_claims")),
    )
    with op.batch_alter_table("wish_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wish_claims_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_wish_claims_wish_id"), ["wish_id"], unique=False)

    op.create_table(
        "wish_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wish_id", sa.Integer(), nullable=False),
        sa.Column("at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("from_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("to_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_wish_events_actor_id_users")),
        sa.ForeignKeyConstraint(["wish_id"], ["wishes.id"], name=op.f("fk_wish_events_wish_id_wishes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wish_events")),
    )
    with op.batch_alter_table("wish_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wish_events_wish_id"), ["wish_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wish_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wish_events_wish_id"))

    op.drop_table("wish_events")
    with op.batch_alter_table("wish_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wish_claims_wish_id"))
        batch_op.drop_index(batch_op.f("ix_wish_claims_user_id"))

    op.drop_table("wish_claims")
    with op.batch_alter_table("wishes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wishes_status"))
        batch_op.drop_index(batch_op.f("ix_wishes_poster_id"))
        batch_op.drop_index(batch_op.f("ix_wishes_org_id"))
        batch_op.drop_index(batch_op.f("ix_wishes_claimer_id"))
        batch_op.drop_index(batch_op.f("ix_wishes_category"))
        batch_op.drop_index(batch_op.f("ix_wishes_assigned_org_id"))

    op.drop_table("wishes")
    with op.batch_alter_table("unit_resources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_resources_unit_id"))

    op.drop_table("unit_resources")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_user_id"))

    op.drop_table("notifications")
    with op.batch_alter_table("wish_categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wish_categories_alliance_id"))

    op.drop_table("wish_categories")
