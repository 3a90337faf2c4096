"""lane counts count conversations: the open-messages index carries candidate_id and id (index-only counts)

Revision ID: 0014_open_conversations_index
Revises: 0013_candidate_addresses
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_open_conversations_index"
down_revision = "0013_candidate_addresses"
branch_labels = None
depends_on = None

OPEN = sa.text("state IN ('triaged', 'held')")


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_open_role_lane")
        batch_op.create_index(
            "ix_messages_open_role_lane",
            ["role_id", "lane", "candidate_id", "id"],
            unique=False,
            postgresql_where=OPEN,
            sqlite_where=OPEN,
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_open_role_lane")
        batch_op.create_index(
            "ix_messages_open_role_lane", ["role_id", "lane"], unique=False, postgresql_where=OPEN, sqlite_where=OPEN
        )
