"""outbound_emails: indexes on thread_id and reply_to_message_id (erasure sets them to NULL; a message page lists its replies)

Revision ID: 0017_outbound_thread_index
Revises: 0016_conversation_heads
Create Date: 2026-12-08
"""

from alembic import op

revision = "0017_outbound_thread_index"
down_revision = "0016_conversation_heads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_emails", schema=None) as batch_op:
        batch_op.create_index("ix_outbound_thread", ["thread_id"], unique=False)
        batch_op.create_index("ix_outbound_reply_to", ["reply_to_message_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbound_emails", schema=None) as batch_op:
        batch_op.drop_index("ix_outbound_reply_to")
        batch_op.drop_index("ix_outbound_thread")
