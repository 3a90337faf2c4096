"""exactly-once delivery

Revision ID: 0012_delivery
Revises: 0011_inbox
Create Date: 2026-12-07
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0012_delivery"
down_revision = "0011_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
