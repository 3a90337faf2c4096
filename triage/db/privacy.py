"""Erasures: that a candidate's data was erased, when and by whom, and a keyed hash of the address.

The address itself is never kept: only HMAC-SHA256(secret key, address), so that mail arriving
later from the same address can be flagged "previously erased" without Triage being able to say
whose data it was (a hash without the key cannot be checked against a list of addresses).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from triage.db.base import Base, utcnow
from triage.db.types import Json, Moment

# What an erasure removed: the whole person (a retention or a candidate's request), or only the
# mail of a hired candidate (retention keeps the employee's application and its dates).
PERSON = "person"
MAIL = "mail"


class Erasure(Base):
    __tablename__ = "erasures"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(Moment, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    scope: Mapped[str] = mapped_column(String(10), default=PERSON)
    reason: Mapped[str] = mapped_column(String(20))  # request / retention
    address_hash: Mapped[str] = mapped_column(String(64))
    # The anonymous candidate row left behind (its applications keep the roles' counts true).
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id", ondelete="SET NULL"))
    counts: Mapped[dict] = mapped_column(Json, default=dict)
    __table_args__ = (
        Index("ix_erasures_address_hash", "address_hash"),
        Index("ix_erasures_candidate_id", "candidate_id"),
    )


def address_hash(secret_key: str, address: str) -> str:
    """The keyed hash an erasure keeps of an address (lower-cased, as candidates are stored)."""
    return hmac.new(secret_key.encode(), address.strip().lower().encode(), hashlib.sha256).hexdigest()
