"""roles, applicants and their dated history

Revision ID: 0009_hiring
Revises: 0008_forwards
Create Date: 2026-12-07
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0009_hiring"
down_revision = "0008_forwards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
