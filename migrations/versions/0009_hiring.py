"""roles, applicants and their dated history

Revision ID: 0009_hiring
Revises: 0008_forwards
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

import triage.db.base

revision = "0009_hiring"
down_revision = "0008_forwards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "application_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "applied",
                "screening",
                "interviewing",
                "interviewed",
                "offer",
                "hired",
                "rejected",
                "withdrawn",
                name="appstage",
                native_enum=False,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("at", triage.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("interview_at", triage.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("asked", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", triage.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_application_events_application_at", "application_events", ["application_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_application_events_application_at", table_name="application_events")
    op.drop_table("application_events")
