"""What goes out: templates, batched status updates, the outbox, suppressed addresses."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from triage.db.base import Base, utcnow
from triage.db.enums import BatchState, OutboxState, TemplateKind
from triage.db.types import Json, Moment, words


class Template(Base):
    __tablename__ = "templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[TemplateKind] = mapped_column(words(TemplateKind))
    subject: Mapped[str] = mapped_column(String(998))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(Moment, default=utcnow)


class Batch(Base):
    """One batched status update across one or more roles."""

    __tablename__ = "batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("templates.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    role_ids: Mapped[list] = mapped_column(Json)
    stages: Mapped[list] = mapped_column(Json)
    next_update_on: Mapped[date] = mapped_column(Date)
    override_frequency: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[BatchState] = mapped_column(words(BatchState), default=BatchState.draft)
    scheduled_for: Mapped[datetime | None] = mapped_column(Moment)
    created_at: Mapped[datetime] = mapped_column(Moment, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(Moment)
    skipped: Mapped[dict] = mapped_column(Json, default=dict)  # reason -> count

    template: Mapped[Template] = relationship()


class Outbound(Base):
    """An email we send: a row before it is a job; its Message-ID is fixed at creation."""

    __tablename__ = "outbound_emails"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # reply / batch / ack
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id", ondelete="SET NULL"))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id", ondelete="SET NULL"))
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id", ondelete="SET NULL"))
    role_id: Mapped[int | None] = mapped_column(ForeignKey("job_roles.id", ondelete="SET NULL"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="SET NULL"))
    reply_to_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[list] = mapped_column(Json, default=list)
    from_address: Mapped[str] = mapped_column(String(320))
    # The From display name, fixed with the row ("Priya Shah via Acme Careers"); None: rows made before it.
    from_name: Mapped[str | None] = mapped_column(String(200))
    to_address: Mapped[str] = mapped_column(String(320))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(998))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)  # Auto-Submitted: auto-replied
    asks_for_info: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[OutboxState] = mapped_column(words(OutboxState), default=OutboxState.queued)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(Moment, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(Moment)
    leased_by: Mapped[str | None] = mapped_column(String(120))
    # Set after the relay's 354, before the content, until its answer is recorded: a row that still
    # has it after its worker died may have been accepted (see triage.outbound.delivery).
    handed_over_at: Mapped[datetime | None] = mapped_column(Moment)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Moment, default=utcnow)
    give_up_at: Mapped[datetime | None] = mapped_column(Moment)
    sent_at: Mapped[datetime | None] = mapped_column(Moment)

    __table_args__ = (
        Index("ix_outbound_state_next_attempt", "state", "next_attempt_at"),
        Index("ix_outbound_batch_state", "batch_id", "state"),
        Index("ix_outbound_application_created", "application_id", "created_at"),
        Index("ix_outbound_candidate_created", "candidate_id", "created_at"),
        Index("ix_outbound_thread", "thread_id"),  # erasing a thread sets it to NULL (ON DELETE SET NULL)
        # A message page lists the replies to it; erasing a message sets the column to NULL.
        Index("ix_outbound_reply_to", "reply_to_message_id"),
    )


class Suppression(Base):
    """An address that bounced permanently: no more automatic mail to it."""

    __tablename__ = "suppressions"
    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Moment, default=utcnow)


class Ask(Base):
    """Something we asked a candidate for in an outgoing email (a reply with "asks" ticked, or a
    batch with an asking template): when, and what (the template or the subject).

    Kept apart from Application.last_update_*, which say only the latest contact: an ask is not a
    status update, and the batch cadence never counts it as one."""

    __tablename__ = "asks"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    outbound_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_emails.id", ondelete="CASCADE"))
    asked_at: Mapped[datetime] = mapped_column(Moment, default=utcnow)
    what: Mapped[str] = mapped_column(String(998))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (
        Index("ix_asks_application_asked", "application_id", "asked_at"),
        Index("ix_asks_outbound", "outbound_id"),
    )
