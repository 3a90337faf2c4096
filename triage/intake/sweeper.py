"""Re-enqueue messages stored while Redis was down (or whose job was lost): rows stuck in `received`.

A message is never re-enqueued forever: each sweep that finds it stuck counts one attempt (in
Redis, for a day). The first attempt goes in a job with others; later ones in a job of its own,
so a message that kills its job (a crash, a timeout) takes no other message down with it; after
MAX_ATTEMPTS it is marked failed and shown in Review. Rows that a queued, running or
retry-waiting job already holds are left to that job and not counted.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from redis import Redis
from rq.job import Job
from sqlalchemy import or_, select, update

from triage.db import Database, Lane, Message, MessageState
from triage.db.base import utcnow
from triage.intake.accept import enqueue
from triage.runtime import queues

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=60)  # a job enqueued at intake normally runs well within this
LIMIT = 10_000
MAX_ATTEMPTS = 5
ATTEMPTS_KEY = "triage:sweeper:attempts:{}"
ATTEMPTS_TTL = 86_400
IN_FLIGHT_JOBS = 1000  # at most this many running or retry-waiting jobs are looked into


def stuck(database: Database, grace: timedelta = GRACE, limit: int = LIMIT) -> list[int]:
    """Ids of messages stored more than `grace` ago and still not processed, oldest first."""
    cutoff = utcnow() - grace
    with database.session() as session:
        return list(
            session.scalars(
                select(Message.id)
                .where(
                    Message.state == MessageState.received,
                    or_(Message.stored_at <= cutoff, Message.stored_at.is_(None)),
                )
                .order_by(Message.id)
                .limit(limit)
            )
        )


def sweep(database: Database, redis: Redis, grace: timedelta = GRACE, max_attempts: int = MAX_ATTEMPTS) -> int:
    """Enqueue the stuck messages; return how many (0 when Redis is still down).

    A database that is down raises (the sweeper's loop logs it and backs off)."""
    try:
        intake = queues.queue(redis, "intake")
        if intake.count > 0:
            return 0  # a backlog: the stuck rows are most likely in it; look again when it drains
        busy = _in_flight(redis, intake)
    except Exception as exc:  # noqa: BLE001 - Redis down: nothing to do until it is back
        log.warning("sweeper: Redis unavailable (%s)", type(exc).__name__)
        return 0
    ids = [i for i in stuck(database, grace) if i not in busy]
    if not ids:
        return 0
    try:
        attempts = _count(redis, ids)
    except Exception as exc:  # noqa: BLE001 - as above
        log.warning("sweeper: Redis unavailable (%s)", type(exc).__name__)
        return 0
    given_up = [i for i in ids if attempts[i] > max_attempts]
    if given_up:
        fail(database, given_up, max_attempts)
    first = [i for i in ids if attempts[i] == 1]
    again = [i for i in ids if 1 < attempts[i] <= max_attempts]
    enqueued = len(first) if first and enqueue(redis, first) else 0
    for id_ in again:  # one job each: whatever keeps failing fails alone
        if not enqueue(redis, [id_]):
            break
        enqueued += 1
    if enqueued:
        log.info("sweeper re-enqueued %d message(s) (%d retried alone)", enqueued, len(again))
    return enqueued


def fail(database: Database, ids: list[int], attempts: int) -> None:
    """Mark messages that were never processed, however often queued, failed (they show in Review)."""
    reason = f"not processed after {attempts} attempts: its job failed or was lost every time"
    with database.session() as session:
        session.execute(
            update(Message)
            .where(Message.id.in_(ids), Message.state == MessageState.received)
            .values(state=MessageState.failed, lane=Lane.review, error=reason, reasons=[reason], processed_at=utcnow())
        )
        session.commit()
    log.warning("sweeper gave up on %d message(s) after %d attempts: ids %s", len(ids), attempts, ids[:20])


def _count(redis: Redis, ids: list[int]) -> dict[int, int]:
    """One more attempt for each id; return each one's count."""
    with redis.pipeline(transaction=False) as pipe:
        for id_ in ids:
            key = ATTEMPTS_KEY.format(id_)
            pipe.incr(key)
            pipe.expire(key, ATTEMPTS_TTL)
        results = pipe.execute()
    return dict(zip(ids, results[::2]))


def _in_flight(redis: Redis, intake) -> set[int]:
    """Message ids held by intake jobs that are running or waiting for a retry."""
    job_ids = [job_id for job_id, _ in intake.started_job_registry.get_job_and_execution_ids(cleanup=False)]
    job_ids += intake.scheduled_job_registry.get_job_ids(0, IN_FLIGHT_JOBS - 1, cleanup=False)
    held: set[int] = set()
    for job in Job.fetch_many(job_ids[:IN_FLIGHT_JOBS], connection=redis):
        if job is not None and job.args and isinstance(job.args[0], list):
            held.update(job.args[0])
    return held
