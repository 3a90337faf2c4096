"""exactly-once delivery

Revision ID: 0012_delivery
Revises: 0011_inbox
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

import triage.db.base

revision = "0012_delivery"
down_revision = "0011_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # When a row's content went to the relay and no answer was recorded yet (a crash leaves it set).
    with op.batch_alter_table("outbound_emails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handed_over_at", triage.db.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbound_emails", schema=None) as batch_op:
        batch_op.drop_column("handed_over_at")
