"""the inbox list walks a lane's open messages in time order and probes each one's conversation

Three partial indexes on the open messages (state triaged or held), each carrying the columns its
reader needs so that a lane page and the lane counts read the index only: a lane in time order
(all roles), a role's lane in time order (which the lane counts read too: it replaces the one of
0014), and a candidate's open messages per lane and role. Indexes only: nothing to backfill.

Revision ID: 0016_conversation_heads
Revises: 0015_invitations
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_conversation_heads"
down_revision = "0015_invitations"
branch_labels = None
depends_on = None

OPEN = sa.text("state IN ('triaged', 'held')")


def _open_index(batch_op, name: str, columns: list[str]) -> None:
    batch_op.create_index(name, columns, unique=False, postgresql_where=OPEN, sqlite_where=OPEN)


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_open_role_lane")
        _open_index(batch_op, "ix_messages_open_role_lane", ["role_id", "lane", "received_at", "id", "candidate_id"])
        _open_index(batch_op, "ix_messages_open_lane_walk", ["lane", "received_at", "id", "role_id", "candidate_id"])
        _open_index(batch_op, "ix_messages_open_conversation", ["candidate_id", "lane", "role_id", "received_at", "id"])


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_open_conversation")
        batch_op.drop_index("ix_messages_open_lane_walk")
        batch_op.drop_index("ix_messages_open_role_lane")
        _open_index(batch_op, "ix_messages_open_role_lane", ["role_id", "lane", "candidate_id", "id"])
