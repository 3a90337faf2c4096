"""retention, erasure and export of candidates' data

Revision ID: 0010_privacy
Revises: 0009_hiring
Create Date: 2026-12-07
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0010_privacy"
down_revision = "0009_hiring"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
