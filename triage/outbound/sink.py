"""The local SMTP sink: what Triage "sends" on one machine lands in a Maildir under var/sink.

Tests also use it to play a misbehaving relay: `mode` makes it answer 4xx, 5xx or hang up.
"""

from __future__ import annotations

import asyncio
import logging
import mailbox
import re
import ssl
import threading
import warnings
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

log = logging.getLogger(__name__)


class SinkHandler:
    """Keep every accepted message; `mode` is "accept", "tempfail", "permfail" or "drop".

    `modes` overrides the mode for single recipients, and `delay` (seconds) slows every DATA
    down, so that tests can kill a sender in the middle of a chunk.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.mode = "accept"
        self.modes: dict[str, str] = {}
        self.delay = 0.0
        self.pipelining = True  # offer PIPELINING (RFC 2920), as Postfix and the big relays do
        self.refuse_sender = False  # answer MAIL FROM with a 553, as a relay that does not accept our sender
        self.messages: list[Envelope] = []
        self.peers: list = []  # the client end of the connection each accepted message came over
        self.lock = threading.Lock()
        self.maildir = mailbox.Maildir(folder, create=True) if folder else None

    def _mode(self, addresses) -> str:
        for address in addresses:
            if address.lower() in self.modes:
                return self.modes[address.lower()]
        return self.mode

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        """Offer PIPELINING too: aiosmtpd reads commands one line at a time, so it can take them
        in one packet, and a sender that pipelines costs the sink fewer turns per message."""
        session.host_name = hostname
        if not self.pipelining:
            return responses
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options):
        if self.refuse_sender:
            return "553 5.7.1 sender not allowed (sink told to refuse)"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options):
        if self._mode([address]) == "permfail":
            return "550 5.1.1 mailbox unavailable (sink told to refuse)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        mode = self._mode(envelope.rcpt_tos)
        if self.delay:
            await asyncio.sleep(self.delay)
        if mode == "tempfail":
            return "451 4.3.0 try again later (sink told to defer)"
        if mode == "drop":
            server.transport.close()
            return "421 closing"
        with self.lock:
            self.messages.append(envelope)
            self.peers.append(session.peer)
            if self.maildir is not None:
                self.maildir.add(envelope.original_content or envelope.content)
        return "250 OK queued"

    def message_ids(self) -> list[str]:
        """The Message-ID of every accepted message, in arrival order (duplicates kept)."""
        with self.lock:
            contents = [e.original_content or e.content for e in self.messages]
        return [_message_id(c) for c in contents]


class _ImplicitTLSController(Controller):
    """aiosmtpd warns that AUTH without STARTTLS is unsafe; with TLS from the start it is not."""

    def factory(self):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS", UserWarning)
            return super().factory()


class _Authenticator:
    """AUTH PLAIN/LOGIN against a fixed table of users (tests and demos only)."""

    def __init__(self, users: dict[str, str]) -> None:
        self.users = users

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        # handled=False makes aiosmtpd answer a failure with 535; its default (handled=True) sends
        # nothing, and the client waited out its timeout (30 s) on every wrong password.
        ok = user in self.users and self.users[user] == password
        return AuthResult(success=ok, handled=ok)


_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)


def _message_id(content: bytes) -> str:
    head = content.split(b"\r\n\r\n", 1)[0]
    match = _MESSAGE_ID.search(head)
    return match.group(1).decode("ascii", "replace") if match else ""


class Sink:
    """An aiosmtpd server on its own thread.

    With `tls` (an ssl.SSLContext) it offers STARTTLS, or speaks TLS from the start when
    `implicit_tls`; with `users` ({name: password}) it requires AUTH (after TLS when TLS is on).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8025,
        folder: Path | None = None,
        *,
        tls: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        users: dict[str, str] | None = None,
    ) -> None:
        self.handler = SinkHandler(folder)
        options: dict = {}
        if tls is not None and implicit_tls:
            options["ssl_context"] = tls
        elif tls is not None:
            options.update(tls_context=tls, require_starttls=True)
        if users is not None:
            # With TLS from the start the whole session is encrypted; aiosmtpd's own check only
            # knows about STARTTLS and would hide AUTH.
            options.update(
                authenticator=_Authenticator(users),
                auth_required=True,
                auth_require_tls=tls is not None and not implicit_tls,
            )
        controller = _ImplicitTLSController if implicit_tls else Controller
        self.controller = controller(
            self.handler, hostname=host, port=port, data_size_limit=60 * 1024 * 1024, decode_data=False, **options
        )

    def start(self) -> Sink:
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
