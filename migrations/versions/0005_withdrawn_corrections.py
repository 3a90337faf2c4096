"""withdrawn corrections: an admin takes a wrong label out of training, the row stays

Revision ID: 0005_withdrawn_corrections
Revises: 0004_search
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

import triage.db.base

revision = "0005_withdrawn_corrections"
down_revision = "0004_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", triage.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_corrections_withdrawn_by_users"), "users", ["withdrawn_by"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_corrections_withdrawn_by_users"), type_="foreignkey")
        batch_op.drop_column("withdrawn_by")
        batch_op.drop_column("withdrawn_at")
