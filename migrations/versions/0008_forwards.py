"""forwarding addresses and sender authenticity

Revision ID: 0008_forwards
Revises: 0007_outbound
Create Date: 2026-12-07
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0008_forwards"
down_revision = "0007_outbound"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
