"""`triage smtp`: an aiosmtpd listener for the inbound addresses; 250 only after the commit.

Replies: 250 once the row is committed (a duplicate also gets 250: it is stored), 451 when the
database or anything else fails (the sender retries), 552 over the size limit (aiosmtpd's
data_size_limit, also announced as SIZE), 550 for recipients that are not ours.
"""

from __future__ import annotations

import asyncio
import logging
import ssl

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from triage.config import Settings
from triage.db import Channel, Database
from triage.errors import TriageError, Unavailable
from triage.intake.accept import Delivery, Enqueuer, GroupCommitter
from triage.runtime import queues

log = logging.getLogger(__name__)

COMMIT_THREADS = 2  # groups being committed at once; each holds one database connection


def reply_for(exc: BaseException) -> str:
    """The SMTP reply for an intake failure: always temporary, so the sender keeps the mail."""
    if isinstance(exc, Unavailable):
        return "451 4.3.0 database unavailable, try again later"
    if isinstance(exc, TriageError):
        return f"451 4.3.0 {str(exc)[:200]}"
    return "451 4.3.0 internal error, try again later"


def is_ours(address: str, inbound: tuple[str, ...]) -> bool:
    """True for an inbound address, or one with a +tag (jobs+REQ-1042@ for jobs@)."""
    local, at, domain = address.strip().strip("<>").lower().rpartition("@")
    if not at:
        return False
    base = local.partition("+")[0]
    return f"{local}@{domain}" in inbound or f"{base}@{domain}" in inbound


class IntakeHandler:
    """aiosmtpd handler: checks recipients, stores DATA through accept(), concurrent sessions' messages
    sharing one commit (GroupCommitter)."""

    def __init__(self, settings: Settings, database: Database, redis=None) -> None:
        self.settings = settings
        self.database = database
        self.redis = redis
        self.inbound = tuple(a.lower() for a in settings.inbound_addresses)
        self.committer = GroupCommitter(database, threads=COMMIT_THREADS)
        self.enqueuer = Enqueuer(redis)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options):
        if not is_ours(address, self.inbound):
            return "550 5.1.1 no such recipient here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        tagged = [r for r in envelope.rcpt_tos if "+" in r.partition("@")[0]]
        delivery = Delivery(
            raw=raw,
            channel=Channel.smtp,
            envelope_from=envelope.mail_from or None,
            envelope_to=(tagged or envelope.rcpt_tos)[0],
        )
        try:
            accepted = await asyncio.wrap_future(self.committer.submit(delivery))
        except Exception as exc:  # noqa: BLE001 - every failure becomes a 4xx so the sender retries
            log.error("smtp intake failed: %s", type(exc).__name__)
            return reply_for(exc)
        if not accepted.duplicate:
            self.enqueuer.add([accepted.id])  # after the commit; the reply does not wait for Redis
        return f"250 2.0.0 stored as {accepted.id}"

    def close(self) -> None:
        self.committer.close()
        self.enqueuer.close()


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    if settings.tls_cert is None or settings.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(settings.tls_cert), str(settings.tls_key))
    return context


class Listener:
    """The inbound SMTP server on its own thread (aiosmtpd's Controller)."""

    def __init__(
        self, settings: Settings, database: Database | None = None, redis=None, port: int | None = None
    ) -> None:
        self.own_database = database is None
        self.database = database or Database(settings.database_url)
        self.handler = IntakeHandler(settings, self.database, redis)
        self.controller = Controller(
            self.handler,
            hostname=settings.smtp_listen_host,
            port=port or settings.smtp_listen_port,
            data_size_limit=settings.max_message_bytes,
            decode_data=False,
            tls_context=tls_context(settings),
            ident="Triage intake",
            timeout=60,
        )

    def start(self) -> Listener:
        self.controller.start()
        log.info("inbound SMTP on %s:%s", self.controller.hostname, self.controller.port)
        return self

    def stop(self) -> None:
        self.controller.stop()
        self.handler.close()
        if self.own_database:
            self.database.dispose()

    @property
    def port(self) -> int:
        return self.controller.port


def connect_redis(settings: Settings):
    """A Redis client for enqueueing; None when it cannot even be built (the sweeper catches up)."""
    try:
        return queues.connect(settings)
    except Exception as exc:  # noqa: BLE001 - intake must run without Redis
        log.warning("no Redis client (%s); stored mail waits for the sweeper", type(exc).__name__)
        return None
