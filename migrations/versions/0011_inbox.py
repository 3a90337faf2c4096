"""inbox conversations, undo and preferences

Revision ID: 0011_inbox
Revises: 0010_privacy
Create Date: 2026-12-07
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0011_inbox"
down_revision = "0010_privacy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
