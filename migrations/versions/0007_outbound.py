"""outbound safety (undo send, cancellable rows, asks)

Revision ID: 0007_outbound
Revises: 0006_sessions_and_logins
Create Date: 2026-12-07
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0007_outbound"
down_revision = "0006_sessions_and_logins"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
