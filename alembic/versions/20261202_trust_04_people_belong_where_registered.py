"""people without a home belong where they were registered

`users.registered_org_id`: the node whose staff first brought a person in (an activity's sign-in
at the door, a wish or event posted for them, a station or a role). A person with no home belongs
there; only that alliance's staff may act on their minutes. People without a home who hold a role
today are registered at the node of their first role.

Revision ID: trust_04
Revises: pages_01
Create Date: 2026-12-02 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "trust_04"
down_revision: str | Sequence[str] | None = "pages_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("registered_org_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_users_registered_org_id"), ["registered_org_id"], unique=False)
        batch_op.create_foreign_key("fk_users_registered_org_id_orgs", "orgs", ["registered_org_id"], ["id"])
    op.execute(
        "UPDATE users SET registered_org_id = "
        "(SELECT roles.org_id FROM roles WHERE roles.user_id = users.id ORDER BY roles.id LIMIT 1) "
        "WHERE home_org_id IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint("fk_users_registered_org_id_orgs", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_users_registered_org_id"))
        batch_op.drop_column("registered_org_id")
