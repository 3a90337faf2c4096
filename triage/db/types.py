"""Column helpers shared by the table modules."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import JSON, Enum
from sqlalchemy.dialects.postgresql import JSONB

from triage.db.base import UTCDateTime

# JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere.
Json = JSON().with_variant(JSONB(), "postgresql")
Moment = UTCDateTime


def words(enum: type[StrEnum]) -> Enum:
    """Store an enum as its plain word (VARCHAR), not a native database enum type."""
    return Enum(
        enum, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e], validate_strings=True
    )
