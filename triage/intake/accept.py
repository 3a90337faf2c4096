"""The one path every channel ends in: store the raw bytes, deduplicate, commit, then enqueue.

Deduplication (what makes a second delivery "the same message"):
- with a Message-ID: the same Message-ID *and* the same content hash. The content hash leaves
  out trace headers that each hop adds (Received, Delivered-To...), so the same mail fetched by
  IMAP and posted by a webhook is one row, while two different mails that reuse a Message-ID
  (broken clients do) stay two rows;
- without a Message-ID: the exact bytes, leaving out only what a hop or an export puts around
  a message: a leading BOM, blank lines or mbox "From " line (mail.parse.header_start),
  trailing whitespace (SMTP DATA ends with a line break, a webhook may not) and CRLF versus LF.
  Any other difference keeps two rows, so distinct messages without a Message-ID are never
  merged.

Keys made before that normalisation (_legacy_key) are still looked up when they differ (one
extra indexed SELECT for such messages only), so a re-delivery of a message stored earlier is
still recognised.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import re
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime

from redis import Redis
from rq import Retry
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from triage.db import Channel, Database, Message, MessageState, one_of, pgcopy
from triage.db.base import utcnow
from triage.errors import BadInput, Unavailable
from triage.mail.parse import header_start
from triage.mail.threading import message_ids
from triage.runtime import queues

log = logging.getLogger(__name__)

PROCESS_JOB = "triage.processing.pipeline.process"
JOB_TIMEOUT = 600
ENQUEUE_CHUNK = 500
COPY_FROM = 50  # rows per store() from which COPY beats a multi-row INSERT (PostgreSQL)

# Headers added in transit: the same message reaches us with different values for these.
TRACE_HEADERS = frozenset(
    {
        b"received",
        b"return-path",
        b"delivered-to",
        b"x-original-to",
        b"x-received",
        b"x-delivered-to",
        b"authentication-results",
        b"received-spf",
        b"arc-seal",
        b"arc-message-signature",
        b"arc-authentication-results",
        b"x-envelope-from",
        b"x-envelope-to",
        b"x-spam-status",
        b"x-spam-score",
        b"x-spam-flag",
        b"x-spam-level",
        b"x-spam-checker-version",
        b"x-virus-scanned",
        b"x-gm-message-state",
        b"x-google-smtp-source",
        b"x-forwarded-to",
        b"x-forwarded-for",
    }
)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MESSAGE_ID = re.compile(rb"^message-id[ \t]*:(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)
_FIELD = re.compile(rb"^[!-9;-~]{1,100}[ \t]*:")


@dataclass(frozen=True)
class Delivery:
    """Raw bytes as a channel received them, with what the envelope said."""

    raw: bytes
    channel: Channel
    envelope_from: str | None = None
    envelope_to: str | None = None
    received_at: datetime | None = None  # None: now; backfills pass the original time


@dataclass(frozen=True)
class Accepted:
    id: int
    duplicate: bool


def split_header(raw: bytes) -> tuple[bytes, bytes]:
    """Split raw bytes at the first empty line after where the header block starts (as the
    parser reads it: past a BOM, blank lines, an mbox From_ line): (header block, body)."""
    return _split_at(raw, header_start(raw))


def _split_at(raw: bytes, start: int) -> tuple[bytes, bytes]:
    end = _HEADER_END.search(raw, start)
    if end is None:
        return raw[start:], b""
    return raw[start : end.start()], raw[end.end() :]


def find_message_id(header: bytes) -> str | None:
    """The first <id> of the Message-ID header, or None."""
    match = _MESSAGE_ID.search(header)
    if match is None:
        return None
    value = match.group(1).decode("ascii", "replace")
    ids = message_ids(" ".join(value.split()))
    return ids[0][:998] if ids else None


def content_hash(header: bytes, body: bytes) -> str:
    """SHA-256 of the message without trace headers, with line endings and trailing space normalized."""
    kept: list[bytes] = []
    keep = True
    for line in header.replace(b"\r\n", b"\n").split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if keep:
                kept.append(line.strip())
            continue
        name = line.split(b":", 1)[0].strip().lower()
        keep = name not in TRACE_HEADERS
        if keep:
            kept.append(line.rstrip())
    digest = hashlib.sha256(b"\n".join(kept))
    digest.update(b"\n\n")
    digest.update(body.replace(b"\r\n", b"\n").rstrip())
    return digest.hexdigest()


def dedupe_key(raw: bytes) -> tuple[str | None, str, str]:
    """Return (Message-ID, content hash, dedupe key) for raw bytes."""
    return _keys(raw)[:3]


def _keys(raw: bytes) -> tuple[str | None, str, str, str | None]:
    """(Message-ID, content hash, dedupe key, the key the earlier rule made if it differs)."""
    start = header_start(raw)
    header, body = _split_at(raw, start)
    message_id = find_message_id(header)
    digest = content_hash(header, body)
    if message_id:
        key = _mid_key(message_id, digest)
        # The content hash only changed for messages with something before their header block.
        return message_id, digest, key, (_legacy_key(raw) if start else None)
    text = raw[start:].replace(b"\r\n", b"\n")
    # From the header block on, ending in exactly one line break: for the everyday message
    # (nothing before its headers, one line break at the end) this is the key the earlier rule
    # made from the whole raw.
    canonical = text.rstrip() + b"\n"
    key = hashlib.sha256(b"raw\0" + canonical).hexdigest()
    return None, digest, key, (None if not start and canonical == text else _legacy_key(raw))


def _mid_key(message_id: str, digest: str) -> str:
    return hashlib.sha256(b"mid\0" + message_id.encode("utf-8", "replace") + b"\0" + digest.encode()).hexdigest()


def _legacy_key(raw: bytes) -> str:
    """The dedupe key of the earlier rule: headers from the first byte, raw bytes (line endings aside)."""
    header, body = _split_at(raw, 0)
    message_id = find_message_id(header)
    if message_id:
        return _mid_key(message_id, content_hash(header, body))
    return hashlib.sha256(b"raw\0" + raw.replace(b"\r\n", b"\n")).hexdigest()


def not_email_reason(raw: bytes) -> str | None:
    """Why raw bytes are not an email (for channels that may refuse), or None if they may be one."""
    if not raw.strip():
        return "the body is empty"
    start = raw[header_start(raw) :]  # where the parser will look for the first field
    if start.startswith(b"\xd0\xcf\x11\xe0"):
        return "this is an Outlook .msg file, not an RFC 5322 message; save it as .eml"
    if start[:1] in (b"{", b"[") and _is_json(start):
        return (
            "this is JSON, and JSON webhooks are not supported; send the raw email as message/rfc822 "
            "(or in a multipart form field named 'email')"
        )
    if not _FIELD.match(start):
        return "the body does not start with an email header field (Name: value)"
    return None


def _is_json(raw: bytes) -> bool:
    # `{"from": ...` passes for a header field name (any printable but ':'), so look closer.
    try:
        json.loads(raw)
    except ValueError:
        return False
    return True


def _insert(session: Session):
    dialect = session.get_bind().dialect.name
    # Core, not the ORM's bulk path: the rows are plain dicts and nothing is loaded back but ids.
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Message.__table__)


def store(session: Session, deliveries: Sequence[Delivery]) -> list[Accepted]:
    """Insert the deliveries that are new (one statement); the caller commits."""
    now = utcnow()
    rows, keys = [], []
    legacy: dict[str, str] = {}  # key -> the earlier rule's key, where they differ
    for d in deliveries:
        message_id, digest, key, earlier = _keys(d.raw)
        keys.append(key)
        if earlier is not None:
            legacy[key] = earlier
        rows.append(
            {
                "raw": d.raw,
                "size": len(d.raw),
                "message_id": message_id,
                "content_hash": digest,
                "dedupe_key": key,
                "channel": d.channel,
                "envelope_from": _cap(d.envelope_from),
                "envelope_to": _cap(d.envelope_to),
                "received_at": d.received_at or now,
                "stored_at": now,
                "state": MessageState.received,
            }
        )
    old = _stored_under_legacy_keys(session, legacy)
    firsts: dict[str, dict] = {}
    for row in rows:  # the first of repeated keys wins, in its place (ids follow arrival order)
        if row["dedupe_key"] not in old:
            firsts.setdefault(row["dedupe_key"], row)
    unique = list(firsts.values())
    new: dict[str, int] = {}
    if unique:
        table = Message.__table__
        if len(unique) >= COPY_FROM and session.get_bind().dialect.name == "postgresql":
            found = pgcopy.insert_new(session.connection(), table, unique, "dedupe_key", ["id", "dedupe_key"])
        else:
            statement = (
                _insert(session)
                .on_conflict_do_nothing(index_elements=["dedupe_key"])
                .returning(table.c.id, table.c.dedupe_key)
            )
            found = session.connection().execute(statement, unique).all()
        new = {key: id_ for id_, key in found}
    missing = [k for k in dict.fromkeys(keys) if k not in new and k not in old]
    if missing:
        old.update(
            session.execute(
                select(Message.dedupe_key, Message.id).where(one_of(session, Message.dedupe_key, missing))
            ).all()
        )
    out, seen = [], set()
    for key in keys:
        if key in new and key not in seen:
            out.append(Accepted(new[key], False))
        elif key in new:
            out.append(Accepted(new[key], True))
        elif key in old:
            out.append(Accepted(old[key], True))
        else:  # removed between our insert and select (retention): store it again next time
            raise Unavailable("a duplicate vanished while being stored; retry")
        seen.add(key)
    return out


def _stored_under_legacy_keys(session: Session, legacy: dict[str, str]) -> dict[str, int]:
    """Key -> id of a message stored before the normalisation under the earlier rule's key."""
    if not legacy:
        return {}
    found = dict(
        session.execute(
            select(Message.dedupe_key, Message.id).where(
                one_of(session, Message.dedupe_key, list(set(legacy.values())))
            )
        ).all()
    )
    return {key: found[earlier] for key, earlier in legacy.items() if earlier in found}


def _cap(address: str | None) -> str | None:
    return address[:320] if address else address


def accept_many(database: Database, deliveries: Sequence[Delivery], redis: Redis | None) -> list[Accepted]:
    """Store and commit deliveries, then enqueue the new ones; raise Unavailable if the DB is down."""
    try:
        with database.session() as session:
            accepted = store(session, deliveries)
            session.commit()
    except DBAPIError as exc:
        log.error("intake could not store %d message(s): %s", len(deliveries), type(exc.orig).__name__)
        raise Unavailable("the database is unavailable; retry shortly") from exc
    if redis is not None:
        enqueue(redis, [a.id for a in accepted if not a.duplicate])
    return accepted


class GroupCommitter:
    """Store deliveries handed over by many threads with one INSERT and one commit per group.

    A concurrent listener (SMTP sessions, gunicorn threads) would otherwise pay a round trip
    and a WAL flush per message; each caller still gets its answer only after the commit. A
    group that fails is retried one by one, so one unstorable message fails only itself.
    """

    def __init__(self, database: Database, threads: int = 2, max_group: int = 200) -> None:
        self.database = database
        self.max_group = max_group
        self.pending: queue.SimpleQueue[tuple[Delivery, Future] | None] = queue.SimpleQueue()
        self.threads = [
            threading.Thread(target=self._run, name=f"group-commit-{i}", daemon=True) for i in range(threads)
        ]
        for thread in self.threads:
            thread.start()

    def submit(self, delivery: Delivery) -> Future:
        """A future for the Accepted (or the exception accept() would raise)."""
        future: Future = Future()
        if not isinstance(delivery.raw, bytes):
            future.set_exception(BadInput("raw message must be bytes"))
        else:
            self.pending.put((delivery, future))
        return future

    def accept(self, delivery: Delivery, timeout: float | None = None) -> Accepted:
        return self.submit(delivery).result(timeout)

    def close(self) -> None:
        for _ in self.threads:
            self.pending.put(None)
        for thread in self.threads:
            thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self.pending.get()
            if first is None:
                return
            group, stop = _drain(self.pending, first, self.max_group)
            self._store(group)
            if stop:
                return

    def _store(self, group: list[tuple[Delivery, Future]]) -> None:
        try:
            accepted = accept_many(self.database, [d for d, _ in group], None)
        except Exception as exc:  # noqa: BLE001 - handed to the callers, who answer 4xx/5xx
            if len(group) == 1:
                group[0][1].set_exception(exc)
                return
            for item in group:
                self._store([item])
            return
        for (_, future), result in zip(group, accepted):
            future.set_result(result)


def accept(database: Database, delivery: Delivery, redis: Redis | None) -> Accepted:
    """Store one delivery durably (see accept_many)."""
    if not isinstance(delivery.raw, bytes):
        raise BadInput("raw message must be bytes")
    return accept_many(database, [delivery], redis)[0]


def enqueue(redis: Redis, ids: Iterable[int]) -> bool:
    """Hand message ids to the workers; False (logged, not raised) when Redis is down."""

    ids = list(ids)
    if not ids:
        return True
    try:
        q = queues.queue(redis, "intake")
        for start in range(0, len(ids), ENQUEUE_CHUNK):
            q.enqueue(
                PROCESS_JOB,
                ids[start : start + ENQUEUE_CHUNK],
                job_timeout=JOB_TIMEOUT,
                retry=Retry(max=3, interval=[10, 60, 300]),
            )
    except Exception as exc:  # noqa: BLE001 - Redis down must not lose a stored message; the sweeper re-enqueues
        log.warning("could not enqueue %d message(s) (%s); the sweeper will pick them up", len(ids), type(exc).__name__)
        return False
    return True


class Enqueuer:
    """Enqueue ids from a background thread, many per job, so a long-running listener can answer
    as soon as the row is committed. Ids lost with the process are the sweeper's to find.

    While Redis is down the thread does not wait on it for every message: after a failed enqueue
    it leaves the ids that come in to the sweeper (they are stored) for a while, doubling up to
    MAX_PAUSE, and then tries again; it never stops."""

    MAX_PAUSE = 30.0

    def __init__(self, redis: Redis | None, linger: float = 0.05) -> None:
        self.redis = redis
        self.linger = linger
        self.pending: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self.paused_until = 0.0
        self.pause = 0.0
        self.left = 0  # ids left to the sweeper during the current outage
        self.thread = threading.Thread(target=self._run, name="enqueuer", daemon=True)
        self.thread.start()

    def add(self, ids: Iterable[int]) -> None:
        for id_ in ids:
            self.pending.put(id_)

    def close(self) -> None:
        self.pending.put(None)
        self.thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self.pending.get()
            if first is None:
                return
            time.sleep(self.linger)  # let a burst gather into one job
            ids, stop = _drain(self.pending, first, ENQUEUE_CHUNK)
            if self.redis is not None:
                self._hand_over(ids)
            if stop:
                return

    def _hand_over(self, ids: list[int]) -> None:
        now = time.monotonic()
        if now < self.paused_until:
            self.left += len(ids)
            return
        try:
            ok = enqueue(self.redis, ids)
        except Exception as exc:  # noqa: BLE001 - enqueue logs and returns False; this thread must not die
            log.warning("enqueuer: %s", type(exc).__name__)
            ok = False
        if ok:
            if self.left:
                log.info("enqueuer: Redis is back; %d message(s) stored meanwhile wait for the sweeper", self.left)
            self.pause, self.left = 0.0, 0
            return
        self.left += len(ids)
        self.pause = min(self.MAX_PAUSE, max(1.0, self.pause * 2))
        self.paused_until = now + self.pause


def _drain(pending: queue.Queue, first, limit: int) -> tuple[list, bool]:
    """`first` plus whatever is already waiting, up to `limit`; True when the stop mark (None) came."""
    items = [first]
    while len(items) < limit:
        try:
            item = pending.get_nowait()
        except queue.Empty:
            return items, False
        if item is None:
            return items, True
        items.append(item)
    return items, False
