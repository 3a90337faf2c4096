"""search: PostgreSQL full-text GIN indexes for the inbox search

Revision ID: 0004_search
Revises: 0003_inbox
Create Date: 2026-11-25

Expression indexes live only here (not in the models): the expressions must match
triage/web/inbox/search.py character for character, and migrations/env.py skips them when
comparing the models with the database.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_search"
down_revision = "0003_inbox"
branch_labels = None
depends_on = None

MESSAGE_DOCUMENT = (
    "to_tsvector('simple'::regconfig, coalesce(subject, '') || ' ' || "
    "left(coalesce(body_text, ''), 100000) || ' ' || "
    "coalesce(original_from_name, '') || ' ' || coalesce(original_from_address, ''))"
)
CANDIDATE_DOCUMENT = "to_tsvector('simple'::regconfig, coalesce(name, '') || ' ' || email)"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_messages_search", "messages", [sa.text(MESSAGE_DOCUMENT)], postgresql_using="gin")
        op.create_index("ix_candidates_search", "candidates", [sa.text(CANDIDATE_DOCUMENT)], postgresql_using="gin")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_candidates_search", table_name="candidates")
        op.drop_index("ix_messages_search", table_name="messages")
