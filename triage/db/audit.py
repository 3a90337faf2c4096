"""Who did what: the audit trail (every state-changing action calls `record`) and the classifier
corrections it feeds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, ForeignKey, Index, String, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from triage.db.base import Base, utcnow
from triage.db.types import Json, Moment


class AuditEvent(Base):
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(Moment, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None]
    details: Mapped[dict] = mapped_column(Json, default=dict)
    __table_args__ = (Index("ix_audit_events_at", "at"), Index("ix_audit_events_target", "target_type", "target_id"))


class Correction(Base):
    """A person moved a message to another intent or lane; training data for the next model."""

    __tablename__ = "corrections"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(Moment, default=utcnow)
    from_intent: Mapped[str | None] = mapped_column(String(32))
    to_intent: Mapped[str | None] = mapped_column(String(32))
    from_lane: Mapped[str | None] = mapped_column(String(16))
    to_lane: Mapped[str | None] = mapped_column(String(16))
    used_in_model: Mapped[str | None] = mapped_column(String(80))
    # An admin withdrew a wrong label: the row stays (the trail), training leaves it out.
    withdrawn_at: Mapped[datetime | None] = mapped_column(Moment)
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


def record(
    session: Session, user_id: int | None, action: str, target_type: str, target_id: int | None, **details
) -> AuditEvent:
    """Add an audit row for an action; the caller commits it with the change it describes."""
    event = AuditEvent(user_id=user_id, action=action, target_type=target_type, target_id=target_id, details=details)
    session.add(event)
    return event


def record_on(conn: Connection, action: str, target_type: str, target_id: int | None, **details) -> None:
    """`record` for Core code on a bare connection (the delivery worker's forked horse): the system acts, no user."""
    conn.execute(
        insert(AuditEvent.__table__).values(
            at=utcnow(), user_id=None, action=action, target_type=target_type, target_id=target_id, details=details
        )
    )
