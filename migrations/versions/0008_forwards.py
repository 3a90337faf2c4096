"""forwarding addresses and sender authenticity

Revision ID: 0008_forwards
Revises: 0007_outbound
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

import triage.db.base

revision = "0008_forwards"
down_revision = "0007_outbound"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forwarding_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("created_at", triage.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("verified_at", triage.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_forwarding_addresses_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forwarding_addresses")),
        sa.UniqueConstraint("email", name=op.f("uq_forwarding_addresses_email")),
    )
    with op.batch_alter_table("forwarding_addresses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forwarding_addresses_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("forwarded_at", triage.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("authenticity", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("proposal", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("proposal")
        batch_op.drop_column("authenticity")
        batch_op.drop_column("forwarded_at")
    with op.batch_alter_table("forwarding_addresses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forwarding_addresses_user_id"))
    op.drop_table("forwarding_addresses")
