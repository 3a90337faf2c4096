"""The outbox: every outgoing email is a row first; workers claim rows with a lease and send them.

Delivery rules: 4xx replies and connection errors retry with backoff (5 min doubling to 1 h)
until `give_up_at` (default 2 days after creation); a 5xx fails the row at once and suppresses
the address for automatic and batch mail. A killed worker leaves rows leased; `sweep` puts them
back once the lease has expired.
"""
from __future__ import annotations

import logging
import os
import smtplib
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Iterator, Sequence

from redis import Redis
from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from triage import audit, compose, relay
from triage.config import Settings
from triage.db import Application, AuditEvent, Message, MessageState, Outbound, OutboxState, Suppression, User
from triage.db.base import Database, utcnow
from triage.errors import BadInput, NotFound
from triage.relay import CONNECTION_ERRORS, Permanent, Temporary, connect  # noqa: F401 - re-exported

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=5)
MAX_RETRY = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(days=2)
LEASE = timedelta(seconds=30)
CHUNK = 100
RESCUE_AFTER = timedelta(seconds=60)  # a due row nobody took this long after it was due


# --- options ---------------------------------------------------------------------------------
def give_up_after(settings: Settings | None) -> timedelta:
    return timedelta(hours=settings.outbox_give_up_hours) if settings else GIVE_UP_AFTER


def lease_length(settings: Settings | None) -> timedelta:
    return timedelta(seconds=settings.outbox_lease_seconds) if settings else LEASE


def chunk_size(settings: Settings | None) -> int:
    return settings.outbox_chunk if settings else CHUNK


# --- rows ------------------------------------------------------------------------------------
def new_row(settings: Settings, *, kind: str, to_address: str, to_name: str, subject: str,
            body_text: str, body_html: str | None = None, now: datetime | None = None, **fields) -> Outbound:
    """An Outbound row with its Message-ID fixed now; the caller adds it and commits."""
    now = now or utcnow()
    compose.check_address(to_address)  # an unusable address is refused before it becomes a row
    return Outbound(message_id=compose.new_message_id(settings.from_address), kind=kind,
                    from_address=settings.from_address, to_address=to_address,
                    to_name=compose.clean_header_text(to_name, 200),
                    subject=compose.clean_header_text(subject), body_text=body_text, body_html=body_html,
                    state=OutboxState.queued, attempts=0, next_attempt_at=now, created_at=now,
                    give_up_at=now + give_up_after(settings), **fields)


def _settings_here() -> Settings:
    """The settings of the running web app, or of the worker's runtime."""
    from flask import current_app, has_app_context
    if has_app_context() and "triage.settings" in current_app.extensions:
        return current_app.extensions["triage.settings"]
    from triage import jobs
    return jobs.runtime().settings


def create_reply(session: Session, *, message_id: int, subject: str, body_text: str, user_id: int | None,
                 asks_for_info: bool = False, settings: Settings | None = None,
                 now: datetime | None = None) -> Outbound:
    """Queue a personal reply to inbound message `message_id`, threaded under it; the caller commits."""
    settings = settings or _settings_here()
    now = now or utcnow()
    message = session.get(Message, message_id)
    if message is None:
        raise NotFound(f"no message {message_id}")
    if not body_text or not body_text.strip():
        raise BadInput("the reply is empty")
    to_address, to_name = _recipient(session, message)
    references = [r for r in (message.references or []) if r]
    if message.message_id and message.message_id not in references:
        references.append(message.message_id)
    try:
        row = new_row(settings, kind="reply", to_address=to_address, to_name=to_name,
                      subject=subject or compose.reply_subject(message.subject), body_text=body_text,
                      body_html=compose.text_to_html(body_text), now=now,
                      application_id=message.application_id, candidate_id=message.candidate_id,
                      role_id=message.role_id, thread_id=message.thread_id, reply_to_message_id=message.id,
                      created_by_id=user_id, in_reply_to=message.message_id,
                      references=references[-compose.MAX_REFERENCES:], automatic=False,
                      asks_for_info=asks_for_info)
    except compose.BadAddress as exc:
        raise BadInput(str(exc)) from None
    session.add(row)
    if message.application_id is not None:
        application = session.get(Application, message.application_id)
        application.last_update_at = now
        application.last_update_kind = "reply"
        application.last_update_asked = asks_for_info
    message.state = MessageState.replied
    session.flush()
    audit.record(session, user_id, "outbound.reply", "message", message.id, outbound_id=row.id,
                 asks_for_info=asks_for_info)
    return row


def _recipient(session: Session, message: Message) -> tuple[str, str]:
    if message.candidate is not None:
        return message.candidate.email, message.candidate.name or ""
    address = message.original_from_address or message.from_address
    if not address:
        raise BadInput(f"message {message.id} has no sender to reply to")
    return address, message.original_from_name or message.from_name or ""


def is_suppressed(session: Session, address: str) -> bool:
    return session.scalar(select(Suppression.id).where(Suppression.address == address.lower())) is not None


def suppressed_among(session: Session, addresses: Iterable[str]) -> set[str]:
    wanted = {a.lower() for a in addresses}
    found: set[str] = set()
    ordered = sorted(wanted)
    for start in range(0, len(ordered), 500):
        found.update(session.scalars(select(Suppression.address)
                                     .where(Suppression.address.in_(ordered[start:start + 500]))))
    return found


# --- queueing --------------------------------------------------------------------------------
def chunks(ids: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start:start + size])


def enqueue_delivery(redis: Redis, outbound_ids: list[int], chunk: int = CHUNK) -> None:
    """Enqueue delivery jobs for committed rows, `chunk` rows per job (one SMTP connection each)."""
    from triage import outbox_jobs, queue
    q = queue.queue(redis, "outbox")
    ids = sorted(set(outbound_ids))
    if not ids:
        return
    jobs = [q.prepare_data(outbox_jobs.deliver, args=(part,), timeout=outbox_jobs.DELIVER_TIMEOUT,
                           result_ttl=600, failure_ttl=7 * 86400)
            for part in chunks(ids, chunk)]
    q.enqueue_many(jobs)


# --- claiming --------------------------------------------------------------------------------
def claim(database: Database, ids: Sequence[int] | None, worker: str, lease: timedelta = LEASE,
          limit: int = CHUNK, now: datetime | None = None) -> list[int]:
    """Lease due, queued rows (of `ids`, or any) to `worker`; return the ids it now holds.

    PostgreSQL: one UPDATE over a SELECT … FOR UPDATE SKIP LOCKED, so concurrent workers never
    take the same row and never wait for each other. SQLite has a single writer: the same UPDATE
    … RETURNING holds the write lock for the whole statement, so it is just as exclusive.
    """
    now = now or utcnow()
    chosen = (select(Outbound.id)
              .where(Outbound.state == OutboxState.queued, Outbound.next_attempt_at <= now)
              .order_by(Outbound.id).limit(limit))
    if ids is not None:
        chosen = chosen.where(Outbound.id.in_(list(ids)))
    if not database.is_sqlite:
        chosen = chosen.with_for_update(skip_locked=True)
    statement = (update(Outbound)
                 .where(Outbound.id.in_(chosen.scalar_subquery()), Outbound.state == OutboxState.queued)
                 .values(state=OutboxState.sending, lease_until=now + lease, leased_by=worker,
                         attempts=Outbound.attempts + 1)
                 .returning(Outbound.id)
                 .execution_options(synchronize_session=False))
    with database.engine.begin() as conn:
        return sorted(conn.execute(statement).scalars())


# --- delivery --------------------------------------------------------------------------------
def backoff(attempts: int) -> timedelta:
    """5 min after the first failure, doubling, at most an hour."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Tally:
    sent: int = 0
    deferred: int = 0
    failed: int = 0

    def as_dict(self) -> dict:
        return {"sent": self.sent, "deferred": self.deferred, "failed": self.failed}


def deliver(database: Database, settings: Settings, ids: Sequence[int] | None = None,
            worker: str | None = None, limit: int | None = None) -> Tally:
    """Claim rows and send them over one SMTP connection; record each outcome as it happens."""
    worker = worker or worker_name()
    lease = lease_length(settings)
    claimed = claim(database, ids, worker, lease, limit or chunk_size(settings))
    tally = Tally()
    if not claimed:
        return tally
    with database.session() as session:
        rows = list(session.scalars(select(Outbound).where(Outbound.id.in_(claimed)).order_by(Outbound.id)))
        names = _sender_names(session, rows)
        session.commit()  # end the read: all writes below go through `conn`, one short transaction each
    # Autocommit: each outcome is one statement and one round trip, committed on its own.
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if not database.is_sqlite:
            # A server crash may forget the last few "sent" marks (those emails go again); a killed
            # worker cannot, and the send loop does not wait for a disk flush per email.
            conn.exec_driver_sql("SET synchronous_commit TO off")
        try:
            _send_chunk(conn, settings, rows, names, worker, lease, tally)
        finally:
            if not database.is_sqlite:
                conn.exec_driver_sql("RESET synchronous_commit")
    log.info("outbox chunk: %s claimed, %s", len(claimed), tally.as_dict())
    return tally


# Built once: this runs once per email sent.
_MARK_SENT = (update(Outbound).where(Outbound.id == bindparam("row_id"))
              .values(state=OutboxState.sent, sent_at=bindparam("at"), lease_until=None, leased_by=None,
                      last_error=None))


def _send_chunk(conn, settings: Settings, rows: list[Outbound], names: dict, worker: str, lease: timedelta,
                tally: Tally) -> None:
    smtp: smtplib.SMTP | None = None
    renew_at = utcnow() + lease / 2
    try:
        for index, row in enumerate(rows):
            if utcnow() >= renew_at:  # a slow relay: keep the rest of the chunk ours
                _renew(conn, [r.id for r in rows[index:]], worker, lease)
                renew_at = utcnow() + lease / 2
            if smtp is None:
                try:
                    smtp = connect(settings)
                except (smtplib.SMTPException, *CONNECTION_ERRORS) as exc:
                    # The relay is unreachable or refuses us: no row in this chunk can go now.
                    reason = f"relay: {type(exc).__name__}: {exc}"
                    for rest in rows[index:]:
                        _count(tally, _defer(conn, rest, reason))
                    return
            try:
                relay.send_one(smtp, row, names.get(row.created_by_id, ""))
            except compose.BadAddress as exc:
                _fail(conn, row, f"bad address: {exc}", suppress=False)
                tally.failed += 1
            except Permanent as exc:
                _fail(conn, row, str(exc), suppress=True)
                tally.failed += 1
            except Temporary as exc:
                _count(tally, _defer(conn, row, str(exc)))
            except (smtplib.SMTPException, *CONNECTION_ERRORS) as exc:
                _count(tally, _defer(conn, row, f"connection: {type(exc).__name__}: {exc}"))
                smtp = _drop(smtp)  # the next row gets a fresh connection
            else:
                conn.execute(_MARK_SENT, {"row_id": row.id, "at": utcnow()})
                tally.sent += 1
            # Committed per message: a worker killed now re-sends at most the message in flight.
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def _count(tally: Tally, gave_up: bool) -> None:
    if gave_up:
        tally.failed += 1
    else:
        tally.deferred += 1


def _drop(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        smtp.close()
    return None


def _sender_names(session: Session, rows: list[Outbound]) -> dict[int | None, str]:
    user_ids = {r.created_by_id for r in rows if r.created_by_id}
    if not user_ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all())


def _renew(conn, ids: list[int], worker: str, lease: timedelta) -> None:
    conn.execute(update(Outbound).where(Outbound.id.in_(ids), Outbound.leased_by == worker,
                                        Outbound.state == OutboxState.sending)
                 .values(lease_until=utcnow() + lease))


def _fail(conn, row: Outbound, reason: str, suppress: bool) -> None:
    conn.execute(update(Outbound).where(Outbound.id == row.id)
                 .values(state=OutboxState.failed, last_error=reason[:2000], lease_until=None, leased_by=None))
    if suppress:
        conn.execute(_insert_ignoring_duplicates(conn, Suppression)
                     .values(address=row.to_address.lower(), reason=reason[:2000], created_at=utcnow()))
    conn.execute(insert(AuditEvent).values(at=utcnow(), user_id=None, action="outbound.failed",
                                           target_type="outbound", target_id=row.id,
                                           details={"reason": reason[:500]}))
    log.warning("outbound %s failed: %s", row.id, reason.split(" ")[0])


def _insert_ignoring_duplicates(conn, table):
    """INSERT … ON CONFLICT DO NOTHING: two workers may fail the same address at once."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(table).on_conflict_do_nothing()


def _defer(conn, row: Outbound, reason: str, now: datetime | None = None) -> bool:
    """Schedule another attempt, or fail the row once the next one would be past give_up_at."""
    now = now or utcnow()
    retry_at = now + backoff(row.attempts)
    if row.give_up_at is not None and retry_at > row.give_up_at:
        _fail(conn, row, f"gave up after {row.attempts} attempts: {reason}", suppress=False)
        return True
    conn.execute(update(Outbound).where(Outbound.id == row.id)
                 .values(state=OutboxState.queued, next_attempt_at=retry_at, last_error=reason[:2000],
                         lease_until=None, leased_by=None))
    return False


# --- sweeping ----------------------------------------------------------------------------------
def reclaim_expired(database: Database, now: datetime | None = None) -> list[int]:
    """Put rows whose lease ran out (their worker died) back in the queue, due now."""
    now = now or utcnow()
    statement = (update(Outbound)
                 .where(Outbound.state == OutboxState.sending, Outbound.lease_until < now)
                 # Due from the moment the lease ran out (SET reads the old row on both backends).
                 .values(state=OutboxState.queued, lease_until=None, leased_by=None,
                         next_attempt_at=Outbound.lease_until)
                 .returning(Outbound.id).execution_options(synchronize_session=False))
    with database.engine.begin() as conn:
        return sorted(conn.execute(statement).scalars())


def due_unclaimed(database: Database, now: datetime | None = None, grace: timedelta = RESCUE_AFTER,
                  limit: int = 50_000) -> list[int]:
    """Queued rows that are due and that no job will pick up on its own.

    A row that was tried before (a retry, or a reclaimed lease) has no job waiting: it is taken
    as soon as it is due. A never-tried row was enqueued when it was made; only when it has been
    due for `grace` and is still untouched was its job lost (Redis flushed, enqueue failed).
    """
    now = now or utcnow()
    waiting = or_(Outbound.attempts > 0, Outbound.next_attempt_at <= now - grace)
    with database.engine.connect() as conn:
        return list(conn.execute(select(Outbound.id)
                                 .where(Outbound.state == OutboxState.queued, Outbound.next_attempt_at <= now,
                                        waiting)
                                 .order_by(Outbound.id).limit(limit)).scalars())


def sweep(database: Database, redis: Redis, settings: Settings | None = None,
          now: datetime | None = None) -> dict:
    """Reclaim expired leases and enqueue what is due; run it every 15 s (the sweeper loop does)."""
    now = now or utcnow()
    reclaimed = reclaim_expired(database, now)
    ids = due_unclaimed(database, now)
    enqueue_delivery(redis, ids, chunk_size(settings))
    if reclaimed:
        log.warning("outbox sweep: reclaimed %s rows from expired leases", len(reclaimed))
    return {"reclaimed": len(reclaimed), "enqueued": len(ids)}


def requeue(session: Session, where, now: datetime | None = None, settings: Settings | None = None) -> list[int]:
    """Put failed rows matching `where` back in the queue with a fresh attempt budget; caller commits."""
    now = now or utcnow()
    ids = list(session.scalars(select(Outbound.id).where(Outbound.state == OutboxState.failed, where)))
    if ids:
        session.execute(update(Outbound).where(Outbound.id.in_(ids))
                        .values(state=OutboxState.queued, attempts=0, next_attempt_at=now, last_error=None,
                                give_up_at=now + give_up_after(settings))
                        .execution_options(synchronize_session=False))
    return ids


def batches_of(session: Session, outbound_ids: Sequence[int]) -> list[int]:
    """The batches these rows belong to."""
    return sorted(session.scalars(select(Outbound.batch_id).distinct()
                                  .where(Outbound.id.in_(list(outbound_ids)), Outbound.batch_id.is_not(None))))


def counts(session: Session, where) -> dict[str, int]:
    """Rows by state for a filter (a batch's progress)."""
    result = {state.value: 0 for state in OutboxState}
    for state, n in session.execute(select(Outbound.state, func.count()).where(where).group_by(Outbound.state)):
        result[str(state)] = n
    return result

