"""An application's dated history: stage changes and contacts made outside Triage, each with the day it happened."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from triage.db.base import Base, utcnow
from triage.db.enums import AppStage
from triage.db.types import Moment, words


class ApplicationEvent(Base):
    """One thing that happened to an application: a stage change or a contact (`kind`).

    `at` is when it happened (a recruiter may backdate it); `recorded_at` is when it was entered.
    """

    __tablename__ = "application_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # "stage" or "contact"
    stage: Mapped[AppStage | None] = mapped_column(words(AppStage))
    at: Mapped[datetime] = mapped_column(Moment)
    interview_at: Mapped[datetime | None] = mapped_column(Moment)  # for "interview scheduled"
    channel: Mapped[str | None] = mapped_column(String(20))  # a contact's: phone, email, meeting, other
    asked: Mapped[bool] = mapped_column(Boolean, default=False)  # the contact asked the candidate for something
    note: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(20), default="web")  # web, api, cli, import
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(Moment, default=utcnow)
    __table_args__ = (Index("ix_application_events_application_at", "application_id", "at"),)
