"""Intake bookkeeping: where each polled IMAP folder was read up to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from triage.db.base import Base, utcnow
from triage.db.types import Moment


class MailboxCursor(Base):
    """One IMAP folder: its UIDVALIDITY and the highest UID stored (never the \\Seen flag)."""

    __tablename__ = "mailbox_cursors"
    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(400))  # user@host:port
    folder: Mapped[str] = mapped_column(String(500))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(Moment, default=utcnow, onupdate=utcnow)
    __table_args__ = (UniqueConstraint("account", "folder", name="uq_mailbox_cursors_account_folder"),)
