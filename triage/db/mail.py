"""What came in: inbound messages (raw bytes kept) and the threads they belong to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from triage.db.base import Base, utcnow
from triage.db.enums import Channel, Direction, Lane, MessageState
from triage.db.types import Json, Moment, words

OPEN_STATES_SQL = text("state IN ('triaged', 'held')")


class Thread(Base):
    """One conversation with one candidate about one role."""

    __tablename__ = "threads"
    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id", ondelete="SET NULL"), index=True)
    role_id: Mapped[int | None] = mapped_column(ForeignKey("job_roles.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(998), default="")
    created_at: Mapped[datetime] = mapped_column(Moment, default=utcnow)


class Message(Base):
    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Intake: the bytes as received, and what makes a second delivery a duplicate.
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    message_id: Mapped[str | None] = mapped_column(String(998))
    content_hash: Mapped[str] = mapped_column(String(64))
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    direction: Mapped[Direction] = mapped_column(words(Direction), default=Direction.inbound)
    channel: Mapped[Channel] = mapped_column(words(Channel))
    envelope_from: Mapped[str | None] = mapped_column(String(320))
    envelope_to: Mapped[str | None] = mapped_column(String(320))
    received_at: Mapped[datetime] = mapped_column(Moment, default=utcnow)
    # When intake committed the row (received_at may be backdated by a backfill): the sweeper's clock.
    stored_at: Mapped[datetime | None] = mapped_column(Moment, default=utcnow)
    state: Mapped[MessageState] = mapped_column(words(MessageState), default=MessageState.received)
    processed_at: Mapped[datetime | None] = mapped_column(Moment)
    error: Mapped[str | None] = mapped_column(Text)

    # Parsed fields.
    from_address: Mapped[str | None] = mapped_column(String(320))
    from_name: Mapped[str | None] = mapped_column(String(200))
    original_from_address: Mapped[str | None] = mapped_column(String(320))
    original_from_name: Mapped[str | None] = mapped_column(String(200))
    forwarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    subject: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(Moment)
    body_text: Mapped[str | None] = mapped_column(Text)
    reply_text: Mapped[str | None] = mapped_column(Text)
    has_html: Mapped[bool] = mapped_column(Boolean, default=False)
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[list] = mapped_column(Json, default=list)
    auto_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    attachments: Mapped[list] = mapped_column(Json, default=list)
    defects: Mapped[list] = mapped_column(Json, default=list)

    # Matching, classification and routing.
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id", ondelete="SET NULL"))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id", ondelete="SET NULL"))
    role_id: Mapped[int | None] = mapped_column(ForeignKey("job_roles.id", ondelete="SET NULL"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="SET NULL"))
    intent: Mapped[str | None] = mapped_column(String(32))
    confidence: Mapped[float | None] = mapped_column(Float)
    model_version: Mapped[str | None] = mapped_column(String(80))
    lane: Mapped[Lane | None] = mapped_column(words(Lane))
    reasons: Mapped[list] = mapped_column(Json, default=list)
    is_chaser: Mapped[bool] = mapped_column(Boolean, default=False)
    due_at: Mapped[datetime | None] = mapped_column(Moment)
    snoozed_until: Mapped[datetime | None] = mapped_column(Moment)
    answered_by_batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id", ondelete="SET NULL"))
    # A team member's forward: when the forward arrived (received_at is when the candidate wrote).
    forwarded_at: Mapped[datetime | None] = mapped_column(Moment)
    # Sender authenticity, when a state change hung on it ("dkim=pass (example.org)", "no DKIM signature").
    authenticity: Mapped[str | None] = mapped_column(String(300))
    # A state change the mail asked for but could not make alone (not authenticated, or a new
    # address): "withdraw", until a recruiter confirms it on the message page.
    proposal: Mapped[str | None] = mapped_column(String(32))

    candidate = relationship("Candidate")
    application = relationship("Application")
    role = relationship("JobRole")

    __table_args__ = (
        # The inbox: a lane's open messages, oldest first, across all roles or for one role.
        Index("ix_messages_lane_state_received", "lane", "state", "received_at"),
        Index("ix_messages_role_lane_state_received", "role_id", "lane", "state", "received_at"),
        # The open messages (a few percent of the table), as the lanes list them: a lane page walks a
        # lane in time order (all roles, or one role) and probes each message's conversation (the
        # same candidate and role) for its latest or oldest message and its size; lane counts per
        # role count conversations (candidate, or the message itself). Each index carries what its
        # reader needs, so all of it is index-only (web/inbox/listing.py, queries.lane_counts).
        Index(
            "ix_messages_open_lane_walk",
            "lane",
            "received_at",
            "id",
            "role_id",
            "candidate_id",
            postgresql_where=OPEN_STATES_SQL,
            sqlite_where=OPEN_STATES_SQL,
        ),
        Index(
            "ix_messages_open_role_lane",
            "role_id",
            "lane",
            "received_at",
            "id",
            "candidate_id",
            postgresql_where=OPEN_STATES_SQL,
            sqlite_where=OPEN_STATES_SQL,
        ),
        Index(
            "ix_messages_open_conversation",
            "candidate_id",
            "lane",
            "role_id",
            "received_at",
            "id",
            postgresql_where=OPEN_STATES_SQL,
            sqlite_where=OPEN_STATES_SQL,
        ),
        # A candidate's timeline and the chaser history of an application.
        Index("ix_messages_application_received", "application_id", "received_at"),
        Index("ix_messages_candidate_received", "candidate_id", "received_at"),
        # The sweeper: stored but not processed.
        Index("ix_messages_state_received", "state", "received_at"),
        Index("ix_messages_state_stored", "state", "stored_at"),
        Index("ix_messages_message_id", "message_id"),
        Index("ix_messages_thread", "thread_id"),
    )
