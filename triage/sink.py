"""The local SMTP sink: what Triage "sends" on one machine lands in a Maildir under var/sink.

Tests also use it to play a misbehaving relay: `mode` makes it answer 4xx, 5xx or hang up.
"""
from __future__ import annotations

import logging
import mailbox
import threading
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

log = logging.getLogger(__name__)


class SinkHandler:
    """Keep every accepted message; `mode` is "accept", "tempfail", "permfail" or "drop"."""

    def __init__(self, folder: Path | None = None) -> None:
        self.mode = "accept"
        self.messages: list[Envelope] = []
        self.lock = threading.Lock()
        self.maildir = mailbox.Maildir(folder, create=True) if folder else None

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options):
        if self.mode == "permfail":
            return "550 5.1.1 mailbox unavailable (sink told to refuse)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.mode == "tempfail":
            return "451 4.3.0 try again later (sink told to defer)"
        if self.mode == "drop":
            server.transport.close()
            return "421 closing"
        with self.lock:
            self.messages.append(envelope)
            if self.maildir is not None:
                self.maildir.add(envelope.original_content or envelope.content)
        return "250 OK queued"


class Sink:
    """An aiosmtpd server on its own thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8025, folder: Path | None = None) -> None:
        self.handler = SinkHandler(folder)
        self.controller = Controller(self.handler, hostname=host, port=port,
                                     data_size_limit=60 * 1024 * 1024, decode_data=False)

    def start(self) -> "Sink":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return self.controller.port

    @property
    def messages(self) -> list[Envelope]:
        return self.handler.messages
