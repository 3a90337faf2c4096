"""inbox conversations, undo and preferences

Conversations and undo need no schema of their own (a conversation is a candidate and a role;
an undo's snapshot lives in its audit record); a person's choice to open the next conversation
after archive or Send is a column on users.

Revision ID: 0011_inbox
Revises: 0010_privacy
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_inbox"
down_revision = "0010_privacy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("advance_after_action", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("advance_after_action")
