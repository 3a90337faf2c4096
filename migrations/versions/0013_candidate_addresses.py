"""a candidate's extra addresses ("same person as ...")

Revision ID: 0013_candidate_addresses
Revises: 0012_delivery
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

import triage.db.base

revision = "0013_candidate_addresses"
down_revision = "0012_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "candidate_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=True),
        sa.Column("created_at", triage.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_candidate_addresses_candidate_id_candidates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_candidate_addresses_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate_addresses")),
        sa.UniqueConstraint("address", name=op.f("uq_candidate_addresses_address")),
    )
    with op.batch_alter_table("candidate_addresses", schema=None) as batch_op:
        batch_op.create_index("ix_candidate_addresses_candidate_id", ["candidate_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("candidate_addresses", schema=None) as batch_op:
        batch_op.drop_index("ix_candidate_addresses_candidate_id")
    op.drop_table("candidate_addresses")
