"""`triage imap`: poll IMAP folders with imapclient; remember UIDVALIDITY and the last UID per folder.

The mailbox is opened read-only and fetched with BODY.PEEK[], so \\Seen is never touched: what a
person has or has not read stays theirs. The cursor moves in the same transaction that stores
the messages, so a crash re-reads at most one chunk, and deduplication absorbs it. A changed
UIDVALIDITY (folder recreated, server migrated) means the UIDs mean something else now: the
folder is read again from the start, and deduplication keeps that from making duplicate rows.
"""

from __future__ import annotations

import imaplib
import logging
import ssl
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from imapclient import IMAPClient
from sqlalchemy import select

from triage.db import Channel, Database, MailboxCursor
from triage.intake.accept import Delivery, enqueue, store

log = logging.getLogger(__name__)

CHUNK = 100
MAX_BACKOFF = 60.0


@dataclass(frozen=True)
class Source:
    host: str
    port: int
    username: str
    password: str
    folders: tuple[str, ...] = ("INBOX",)
    security: str = "ssl"  # "ssl", "starttls" or "none"
    verify: bool = True  # check the server's certificate

    @property
    def account(self) -> str:
        return f"{self.username}@{self.host}:{self.port}"


def _ssl_context(source: Source) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not source.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def connect(source: Source, timeout: float = 30) -> IMAPClient:
    client = IMAPClient(
        source.host,
        port=source.port,
        ssl=source.security == "ssl",
        ssl_context=_ssl_context(source) if source.security == "ssl" else None,
        timeout=timeout,
    )
    client.normalise_times = False  # aware INTERNALDATE values
    if source.security == "starttls":
        client.starttls(_ssl_context(source))
    client.login(source.username, source.password)
    return client


def poll_once(source: Source, database: Database, redis=None) -> int:
    """Connect, store every new message of every folder, disconnect; return how many were new."""
    client = connect(source)
    try:
        return sum(poll_folder(client, database, redis, source.account, folder) for folder in source.folders)
    finally:
        try:
            client.logout()
        except Exception:  # noqa: BLE001 - the connection may already be gone
            pass


def poll_folder(client: IMAPClient, database: Database, redis, account: str, folder: str) -> int:
    info = client.select_folder(folder, readonly=True)
    uidvalidity = int(info[b"UIDVALIDITY"])
    with database.session() as session:
        cursor = session.scalar(
            select(MailboxCursor).where(MailboxCursor.account == account, MailboxCursor.folder == folder)
        )
    last = 0
    if cursor is not None and cursor.uidvalidity == uidvalidity:
        last = cursor.last_uid
    elif cursor is not None:
        log.warning(
            "IMAP folder %s: UIDVALIDITY changed (%s -> %s); reading it again from the start",
            folder,
            cursor.uidvalidity,
            uidvalidity,
        )
    # "n:*" always matches the highest UID even when it is below n: filter.
    uids = sorted(u for u in client.search(["UID", f"{last + 1}:*"]) if u > last)
    new = 0
    for start in range(0, len(uids), CHUNK):
        chunk = uids[start : start + CHUNK]
        fetched = client.fetch(chunk, ["BODY.PEEK[]", "INTERNALDATE"])
        deliveries = []
        for uid in chunk:
            data = fetched.get(uid)
            if data is None or b"BODY[]" not in data:
                continue  # expunged between SEARCH and FETCH
            deliveries.append(
                Delivery(
                    raw=bytes(data[b"BODY[]"]),
                    channel=Channel.imap,
                    envelope_to=None,
                    received_at=_aware(data.get(b"INTERNALDATE")),
                )
            )
        with database.session() as session:
            accepted = store(session, deliveries) if deliveries else []
            _advance(session, account, folder, uidvalidity, chunk[-1])
            session.commit()
        ids = [a.id for a in accepted if not a.duplicate]
        new += len(ids)
        if redis is not None:
            enqueue(redis, ids)
    if not uids and (cursor is None or cursor.uidvalidity != uidvalidity):
        with database.session() as session:
            _advance(session, account, folder, uidvalidity, 0)
            session.commit()
    return new


def _advance(session, account: str, folder: str, uidvalidity: int, last_uid: int) -> None:
    cursor = session.scalar(
        select(MailboxCursor).where(MailboxCursor.account == account, MailboxCursor.folder == folder)
    )
    if cursor is None:
        session.add(MailboxCursor(account=account, folder=folder, uidvalidity=uidvalidity, last_uid=last_uid))
    else:
        cursor.uidvalidity = uidvalidity
        cursor.last_uid = last_uid


def _aware(when) -> datetime | None:
    if not isinstance(when, datetime):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _describe(exc: BaseException) -> str:
    """The error's type, with the server's or the socket's words; never a database error's text (it
    carries the SQL's values: the mail being stored)."""
    if isinstance(exc, (imaplib.IMAP4.error, OSError)):
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return type(exc).__name__


def run(source: Source, database: Database, redis, interval: float, stop: threading.Event) -> None:
    """Poll until `stop` is set; connection failures and server restarts back off and retry."""
    backoff = 1.0
    while not stop.is_set():
        try:
            new = poll_once(source, database, redis)
            if new:
                log.info("IMAP: stored %d new message(s)", new)
            backoff = 1.0
            stop.wait(interval)
        except Exception as exc:  # noqa: BLE001 - keep polling through outages; say what happened
            log.warning("IMAP poll failed (%s); retrying in %.0f s", _describe(exc), backoff)
            stop.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)
