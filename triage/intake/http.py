"""The HTTP channel: what POST /api/v1/messages hands in (raw MIME plus envelope fields) becomes a
stored Delivery, committed in groups with concurrent requests, then enqueued in bulk.

The web view reads the request and writes the response; everything about turning an inbound
post into a stored message lives here, beside the SMTP, IMAP and file channels.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime

from redis import Redis

from triage.db import Channel, Database
from triage.errors import BadInput
from triage.intake.accept import Accepted, Delivery, Enqueuer, GroupCommitter, not_email_reason

log = logging.getLogger(__name__)

# Field names inbound-parse services use for the raw MIME (SendGrid "email", Mailgun "body-mime").
MIME_FIELDS = ("email", "mime", "body-mime", "raw", "message")


class HttpIntake:
    """One per web process (threads do not survive a fork): concurrent requests share one group
    committer, and new ids go to Redis from the enqueuer's own thread."""

    def __init__(self, database: Database, redis: Callable[[], Redis | None]) -> None:
        self.committer = GroupCommitter(database)
        self._redis = redis
        self._enqueuer: Enqueuer | None = None
        self._lock = threading.Lock()

    def accept(
        self,
        raw: bytes,
        envelope_from: str | None = None,
        envelope_to: str | None = None,
        received_at: datetime | None = None,
    ) -> Accepted:
        """Store one posted message (committed before this returns), then enqueue it if it is new."""
        reason = not_email_reason(raw)
        if reason:
            raise BadInput(f"not an email: {reason}")
        accepted = self.committer.accept(
            Delivery(
                raw=raw,
                channel=Channel.http,
                envelope_from=envelope_from,
                envelope_to=envelope_to,
                received_at=received_at,
            )
        )
        if not accepted.duplicate:
            # The row is committed; a lost enqueue is the sweeper's to redo.
            self.enqueuer().add([accepted.id])
        return accepted

    def enqueuer(self) -> Enqueuer:
        with self._lock:
            if self._enqueuer is None:
                self._enqueuer = Enqueuer(self._redis())
            return self._enqueuer

    def close(self) -> None:
        """Finish what is pending (a graceful stop)."""
        self.committer.close()
        if self._enqueuer is not None:
            self._enqueuer.close()


def envelope(sender: str | None, recipient: str | None, envelope_json: str | None) -> tuple[str | None, str | None]:
    """Envelope sender and recipient from query/form fields, or from SendGrid's {"to": [...], "from": "..."}."""
    if envelope_json:
        try:
            data = json.loads(envelope_json)
            sender = sender or data.get("from")
            to = data.get("to")
            recipient = recipient or (to[0] if isinstance(to, list) and to else to)
        except (ValueError, AttributeError, TypeError):
            raise BadInput("envelope is not a JSON object") from None
    return (str(sender) if sender else None), (str(recipient) if recipient else None)
