"""Delivering outbox rows: claim them with a lease, send them over SMTP, record each outcome.

4xx replies and connection errors retry with backoff (5 min doubling to 1 h) until the row's
`give_up_at`; a 5xx fails the row at once and suppresses the address. A killed worker leaves its
rows leased until `reclaim_expired` puts them back.

Exactly once, under SIGKILL. Each outcome is committed before the next message goes, and a row
is marked `handed_over_at` (committed) after the relay's 354 and before its content: a relay
accepts a message only at its final dot, so a row without the mark was certainly not delivered
and is simply sent again, and a killed worker leaves at most one marked row without an outcome.
The worker that next claims such a row asks the relay whether it took that Message-ID
(relay.accepted): the local sink can tell, and the row is recorded as sent or sent now, never
twice. A real SMTP relay cannot be asked, so the row is failed as "may have been sent" for a
person to check and retry, instead of mailing the candidate a second time; the rule there is
at most one duplicate per kill, and only when a person chooses to resend.

Core statements on the tables, not ORM queries: this runs in a freshly forked RQ work horse for
every job, where the first ORM statement would configure every mapper of the app (~35 ms a job),
and a row here is only read, never changed through the session.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, exists, func, select, update
from sqlalchemy.engine import Connection

from triage.config import Settings
from triage.db import Batch, BatchState, Outbound, OutboxState, Suppression, User, audit
from triage.db.base import Database, utcnow
from triage.outbound import mime, relay
from triage.outbound.relay import CONNECTION_ERRORS, Permanent, Temporary

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=5)
MAX_RETRY = timedelta(hours=1)
LEASE = timedelta(seconds=30)
CHUNK = 100  # rows per SMTP connection (many relays cap messages per connection)

_outbound = Outbound.__table__
_batches = Batch.__table__
_users = User.__table__


def lease_length(settings: Settings | None) -> timedelta:
    return timedelta(seconds=settings.outbox_lease_seconds) if settings else LEASE


def chunk_size(settings: Settings | None) -> int:
    return settings.outbox_chunk if settings else CHUNK


def backoff(attempts: int) -> timedelta:
    """5 min after the first failure, doubling, at most an hour."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# --- leases --------------------------------------------------------------------------------------
def claim(
    database: Database,
    ids: Sequence[int] | None,
    worker: str,
    lease: timedelta = LEASE,
    limit: int = CHUNK,
    now: datetime | None = None,
) -> list[int]:
    """Lease due, queued rows (of `ids`, or any) to `worker`; return the ids it now holds.

    PostgreSQL: one UPDATE over a SELECT … FOR UPDATE SKIP LOCKED, so concurrent workers never
    take the same row and never wait for each other. SQLite has a single writer: the same UPDATE
    … RETURNING holds the write lock for the whole statement, so it is just as exclusive.
    """
    now = now or utcnow()
    t = _outbound.c
    chosen = select(t.id).where(t.state == OutboxState.queued, t.next_attempt_at <= now).order_by(t.id).limit(limit)
    if ids is not None:
        chosen = chosen.where(t.id.in_(list(ids)))
    if not database.is_sqlite:
        chosen = chosen.with_for_update(skip_locked=True)
    statement = (
        update(_outbound)
        .where(t.id.in_(chosen.scalar_subquery()), t.state == OutboxState.queued)
        .values(state=OutboxState.sending, lease_until=now + lease, leased_by=worker, attempts=t.attempts + 1)
        .returning(t.id)
    )
    with database.engine.begin() as conn:
        return sorted(conn.execute(statement).scalars())


def _renew(conn: Connection, ids: list[int], worker: str, lease: timedelta) -> set[int]:
    """Extend this worker's lease on `ids`; return those it still holds (the sweeper may have
    reclaimed the others after a stall longer than the lease, and another worker may hold them)."""
    t = _outbound.c
    return set(
        conn.execute(
            update(_outbound)
            .where(t.id.in_(ids), t.leased_by == worker, t.state == OutboxState.sending)
            .values(lease_until=utcnow() + lease)
            .returning(t.id)
        ).scalars()
    )


def reclaim_expired(database: Database, now: datetime | None = None) -> list[int]:
    """Put rows whose lease ran out (their worker died) back in the queue, due now.

    A row handed over to the relay keeps its mark: the worker that claims it next asks the relay
    before sending it again (see the module's docstring)."""
    now = now or utcnow()
    t = _outbound.c
    statement = (
        update(_outbound)
        .where(t.state == OutboxState.sending, t.lease_until < now)
        # Due from the moment the lease ran out (SET reads the old row on both backends).
        .values(state=OutboxState.queued, lease_until=None, leased_by=None, next_attempt_at=t.lease_until)
        .returning(t.id)
    )
    with database.engine.begin() as conn:
        return sorted(conn.execute(statement).scalars())


# --- sending -------------------------------------------------------------------------------------
@dataclass
class Tally:
    sent: int = 0
    deferred: int = 0
    failed: int = 0

    def as_dict(self) -> dict:
        return {"sent": self.sent, "deferred": self.deferred, "failed": self.failed}


# What composing a message needs, read in one query with the sender's name.
_ROW_COLUMNS = [
    _outbound.c[name]
    for name in (
        "id",
        "batch_id",
        "message_id",
        "from_address",
        "to_address",
        "to_name",
        "subject",
        "body_text",
        "body_html",
        "in_reply_to",
        "references",
        "automatic",
        "attempts",
        "give_up_at",
        "handed_over_at",
    )
]


def deliver(
    database: Database,
    settings: Settings,
    ids: Sequence[int] | None = None,
    worker: str | None = None,
    limit: int | None = None,
) -> Tally:
    """Claim rows (all of `ids` that are due, or up to `limit` of any) and send them, one SMTP
    connection per chunk; record each outcome as it happens."""
    worker = worker or worker_name()
    lease = lease_length(settings)
    claimed = claim(database, ids, worker, lease, limit or (len(ids) if ids is not None else chunk_size(settings)))
    tally = Tally()
    if not claimed:
        return tally
    # Autocommit: each outcome is one statement and one round trip, committed on its own.
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        rows = conn.execute(
            select(
                *_ROW_COLUMNS,
                # The name fixed when the row was made ("Priya Shah via Acme Careers"); older rows: the sender's.
                func.coalesce(_outbound.c.from_name, _users.c.name).label("from_name"),
            )
            .outerjoin(_users, _users.c.id == _outbound.c.created_by_id)
            .where(_outbound.c.id.in_(claimed))
            .order_by(_outbound.c.id)
        ).all()
        if not database.is_sqlite:
            # A server crash may forget the last few "sent" marks (those emails go again); a killed
            # worker cannot, and the send loop does not wait for a disk flush per email.
            conn.exec_driver_sql("SET synchronous_commit TO off")
        try:
            rows = _settle_handed_over(conn, settings, rows, worker, tally)
            size = chunk_size(settings)
            renew = _Renewal(conn, worker, lease)
            for start in range(0, len(rows), size):
                _send_chunk(conn, settings, rows[start : start + size], rows[start + size :], renew, tally)
            finish_batches(conn, {r.batch_id for r in rows if r.batch_id is not None})
        finally:
            if not database.is_sqlite:
                conn.exec_driver_sql("RESET synchronous_commit")
    log.info("outbox: %s claimed, %s", len(claimed), tally.as_dict())
    return tally


IN_DOUBT = (
    "may have been sent: the worker stopped after handing it to the relay and before recording the answer, "
    "and the relay cannot be asked; check with the recipient or the relay's log before retrying"
)


def _settle_handed_over(conn: Connection, settings: Settings, rows: list, worker: str, tally: Tally) -> list:
    """Settle the rows a killed worker left handed over to the relay; return the rows still to send."""
    doubtful = [r for r in rows if r.handed_over_at is not None]
    if not doubtful:
        return rows
    taken = relay.accepted(settings, [r.message_id for r in doubtful], min(r.handed_over_at for r in doubtful))
    settled: set[int] = set()
    for row in doubtful:
        if taken is None:
            log.warning("outbound %s may have been sent before its worker stopped: left for a person", row.id)
            _fail(conn, row, worker, IN_DOUBT, suppress=False)
            tally.failed += 1
        elif row.message_id in taken:
            at = row.handed_over_at
            if conn.execute(_MARK_SENT, {"row_id": row.id, "worker": worker, "at": at}).rowcount:
                log.info("outbound %s: the relay had accepted it before its worker stopped; not sent again", row.id)
                tally.sent += 1
        else:
            continue  # the relay never took it: it goes now like any other row
        settled.add(row.id)
    return [r for r in rows if r.id not in settled]


class _Renewal:
    """Extends the lease on the rows still to send when half of it has passed (a slow relay), and
    remembers the rows this worker no longer holds: those are another worker's to send."""

    def __init__(self, conn: Connection, worker: str, lease: timedelta) -> None:
        self.conn, self.worker, self.lease = conn, worker, lease
        self.due = utcnow() + lease / 2
        self.lost: set[int] = set()

    def still_held(self, row, pending: list) -> bool:
        if utcnow() >= self.due:
            ids = [r.id for r in pending]
            self.lost.update(set(ids) - _renew(self.conn, ids, self.worker, self.lease))
            self.due = utcnow() + self.lease / 2
        return row.id not in self.lost


# Built once: this runs once per email sent.
# Every outcome is written only while this worker still holds the row's lease: a worker that
# stalled past its lease must not put back or fail a row that another worker has since sent.
_MARK_SENT = (
    update(_outbound)
    .where(
        _outbound.c.id == bindparam("row_id"),
        _outbound.c.leased_by == bindparam("worker"),
        _outbound.c.state == OutboxState.sending,
    )
    .values(
        state=OutboxState.sent,
        sent_at=bindparam("at"),
        lease_until=None,
        leased_by=None,
        last_error=None,
        handed_over_at=None,
    )
)
# After the relay's 354, before the content: from here on the relay may accept the message.
_MARK_HANDED_OVER = (
    update(_outbound)
    .where(
        _outbound.c.id == bindparam("row_id"),
        _outbound.c.leased_by == bindparam("worker"),
        _outbound.c.state == OutboxState.sending,
    )
    .values(handed_over_at=bindparam("at"))
)


def _send_chunk(conn: Connection, settings: Settings, rows: list, later: list, renew: _Renewal, tally: Tally) -> None:
    """Send `rows` over one SMTP connection (`later` are the job's rows after them)."""
    smtp: smtplib.SMTP | None = None
    worker = renew.worker
    try:
        for index, row in enumerate(rows):
            if not renew.still_held(row, rows[index:] + later):
                continue
            if smtp is None:
                try:
                    smtp = relay.connect(settings)
                except (smtplib.SMTPException, *CONNECTION_ERRORS) as exc:
                    # The relay is unreachable or refuses us: no row in this chunk can go now.
                    reason = f"relay: {type(exc).__name__}: {exc}"
                    for rest in rows[index:]:
                        _count(tally, _defer(conn, rest, worker, reason))
                    return
                if not renew.still_held(row, rows[index:] + later):  # connecting can take a while
                    continue
            handed: list[bool] = []  # set once the mark is committed: from then on the relay may have it
            try:
                relay.send_one(smtp, row, row.from_name or "", _hand_over(conn, row, worker, handed))
            except relay.Withdrawn:
                smtp = None  # the lease was lost before the content went: the new holder sends it
                continue
            except mime.BadAddress as exc:
                _fail(conn, row, worker, f"bad address: {exc}", suppress=False)
                tally.failed += 1
            except Permanent as exc:
                # Only a refused recipient says the address is bad; a refused sender or content does not.
                _fail(conn, row, worker, str(exc), suppress=exc.recipient)
                tally.failed += 1
            except Temporary as exc:
                _count(tally, _defer(conn, row, worker, str(exc)))
                if smtp.sock is None:  # a 421: the relay closed the connection
                    smtp = None
            except (smtplib.SMTPException, *CONNECTION_ERRORS) as exc:
                # Lost after the content went (no answer to the final dot): the relay may have taken
                # it, so the row keeps its mark and the next attempt asks before sending again.
                reason = f"connection: {type(exc).__name__}: {exc}"
                _count(tally, _defer(conn, row, worker, reason, handed_over=bool(handed)))
                smtp = _drop(smtp)  # the next row gets a fresh connection
            except Exception as exc:
                # A row that cannot be sent for a reason we did not foresee fails alone, at once: left to
                # the lease it would come back and break every job that claims it, never giving up.
                log.exception("outbound %s could not be sent", row.id)
                _fail(conn, row, worker, f"could not be sent: {type(exc).__name__}", suppress=False)
                tally.failed += 1
                smtp = _drop(smtp)  # the conversation is in an unknown state
            else:
                conn.execute(_MARK_SENT, {"row_id": row.id, "worker": worker, "at": utcnow()})
                tally.sent += 1
            # Committed before the next message's hand-over: a kill leaves at most one row in doubt.
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def _hand_over(conn: Connection, row, worker: str, handed: list[bool]):
    """The mark committed between the relay's 354 and the content (noted in `handed`); False
    (withdraw the message) when this worker no longer holds the row."""

    def mark() -> bool:
        if conn.execute(_MARK_HANDED_OVER, {"row_id": row.id, "worker": worker, "at": utcnow()}).rowcount:
            handed.append(True)
        return bool(handed)

    return mark


def _count(tally: Tally, gave_up: bool) -> None:
    if gave_up:
        tally.failed += 1
    else:
        tally.deferred += 1


def _drop(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        smtp.close()
    return None


def _held(row, worker: str):
    t = _outbound.c
    return update(_outbound).where(t.id == row.id, t.leased_by == worker, t.state == OutboxState.sending)


def _fail(conn: Connection, row, worker: str, reason: str, suppress: bool) -> None:
    result = conn.execute(
        _held(row, worker).values(
            state=OutboxState.failed, last_error=reason[:2000], lease_until=None, leased_by=None, handed_over_at=None
        )
    )
    if not result.rowcount:
        return  # no longer ours: the worker that holds it records the outcome
    if suppress:
        conn.execute(
            _insert_ignoring_duplicates(conn, Suppression.__table__).values(
                address=row.to_address.lower(), reason=reason[:2000], created_at=utcnow()
            )
        )
    audit.record_on(conn, "outbound.failed", "outbound", row.id, reason=reason[:500])
    log.warning("outbound %s failed: %s", row.id, reason.split(" ")[0])


def _insert_ignoring_duplicates(conn: Connection, table):
    """INSERT … ON CONFLICT DO NOTHING: two workers may fail the same address at once."""
    # Each dialect has its own INSERT with ON CONFLICT; only the one in use is imported.
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(table).on_conflict_do_nothing()


def _defer(
    conn: Connection, row, worker: str, reason: str, now: datetime | None = None, handed_over: bool = False
) -> bool:
    """Schedule another attempt, or fail the row once the next one would be past give_up_at.

    `handed_over`: the content went and no answer came; the mark stays for the next attempt."""
    now = now or utcnow()
    retry_at = now + backoff(row.attempts)
    if row.give_up_at is not None and retry_at > row.give_up_at:
        _fail(conn, row, worker, f"gave up after {row.attempts} attempts: {reason}", suppress=False)
        return True
    conn.execute(
        _held(row, worker).values(
            state=OutboxState.queued,
            next_attempt_at=retry_at,
            last_error=reason[:2000],
            lease_until=None,
            leased_by=None,
            **({} if handed_over else {"handed_over_at": None}),  # else the relay answered: it did not take it
        )
    )
    return False


def finish_batches(conn: Connection, batch_ids: set[int]) -> int:
    """Flip sending batches to sent once none of their rows is pending; return how many flipped."""
    if not batch_ids:
        return 0
    o, b = _outbound.c, _batches.c
    pending = exists().where(and_(o.batch_id == b.id, o.state.in_((OutboxState.queued, OutboxState.sending))))
    result = conn.execute(
        update(_batches)
        .where(b.id.in_(sorted(batch_ids)), b.state == BatchState.sending, ~pending)
        .values(state=BatchState.sent)
    )
    return result.rowcount or 0
