"""inbox: partial indexes on open messages for lane counts and lane pages

Revision ID: 0003_inbox
Revises: 0002_intake
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_inbox"
down_revision = "0002_intake"
branch_labels = None
depends_on = None

OPEN = sa.text("state IN ('triaged', 'held')")


def upgrade() -> None:
    # Lane counts per role read only the open messages (a few percent of the table), index-only.
    op.create_index(
        "ix_messages_open_role_lane", "messages", ["role_id", "lane"], postgresql_where=OPEN, sqlite_where=OPEN
    )


def downgrade() -> None:
    op.drop_index("ix_messages_open_role_lane", table_name="messages")
