"""Handing committed outbox rows and scheduled batches to RQ, and the sweep that re-enqueues lost work.

Jobs are named by their dotted path (RQ resolves it in the worker), so this module does not
import the job module that calls back into it: triage.outbound.tasks sits above dispatch.
Every function here runs after the commit that made its rows (a job must never race its row).

Redis only carries the work: when it is down, what is committed stays committed (a batch's rows,
a scheduled batch) and the sweep hands it over later. So a person who sends or schedules a batch
during an outage gets "stored, will be sent", and a scheduled batch whose time has come goes out
from the database even if RQ's scheduler lost it (it dies with Redis and comes back late).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

from redis import Redis
from redis.exceptions import RedisError
from rq.job import Job
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.config import Settings
from triage.db import Batch, Outbound
from triage.db.base import Database, utcnow
from triage.outbound import batches, delivery, outbox
from triage.outbound.batches.lifecycle import due_scheduled
from triage.runtime import queues

log = logging.getLogger(__name__)

DELIVER_JOB = "triage.outbound.tasks.deliver"
SEND_BATCH_JOB = "triage.outbound.tasks.send_batch"
DELIVER_TIMEOUT = 1800  # hundreds of rows over a slow relay; the lease is renewed while it runs
BATCH_TIMEOUT = 900
LATE = timedelta(seconds=20)  # RQ's scheduler moves a job within seconds; past this the sweep sends it


def chunks(ids: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def enqueue_delivery(
    redis: Redis, outbound_ids: list[int], chunk: int = delivery.CHUNK, at: datetime | None = None
) -> None:
    """Enqueue delivery jobs for committed rows, `chunk` rows per job; at `at` when the rows wait
    out an undo window (RQ's scheduler moves the jobs then; the job re-checks every row's state).

    A job sends its rows over one SMTP connection per `chunk_size` rows; a batch passes bigger
    jobs (a forked work horse costs tens of milliseconds, whatever its size)."""
    q = queues.queue(redis, "outbox")
    ids = sorted(set(outbound_ids))
    if not ids:
        return
    if at is not None and at > utcnow():
        for part in chunks(ids, chunk):
            q.enqueue_at(at, DELIVER_JOB, part, job_timeout=DELIVER_TIMEOUT, result_ttl=600, failure_ttl=7 * 86400)
        return
    jobs = [
        q.prepare_data(DELIVER_JOB, args=(part,), timeout=DELIVER_TIMEOUT, result_ttl=600, failure_ttl=7 * 86400)
        for part in chunks(ids, chunk)
    ]
    q.enqueue_many(jobs)


def enqueue_rows(session: Session, redis: Redis, outbound_ids: list[int], chunk: int = delivery.CHUNK) -> bool:
    """Enqueue committed rows each at its due time (after its undo window); False when Redis is down
    (the outbox sweep sends them once due)."""
    due: dict[datetime, list[int]] = {}
    for row_id, at in session.execute(
        select(Outbound.id, Outbound.next_attempt_at).where(Outbound.id.in_(sorted(set(outbound_ids))))
    ):
        due.setdefault(at, []).append(row_id)
    try:
        for at, ids in sorted(due.items()):
            enqueue_delivery(redis, ids, chunk, at=at)
    except RedisError as exc:
        log.warning(
            "%s rows stored but not enqueued (%s); the outbox sweep sends them", len(outbound_ids), type(exc).__name__
        )
        return False
    return True


def nudge_delivery(redis: Redis, outbound_ids: list[int], chunk: int = delivery.CHUNK) -> bool:
    """Enqueue committed rows now; False when Redis is down (the outbox sweep sends them once due)."""
    try:
        enqueue_delivery(redis, outbound_ids, chunk)
    except RedisError as exc:
        log.warning(
            "%s rows stored but not enqueued (%s); the outbox sweep sends them", len(outbound_ids), type(exc).__name__
        )
        return False
    return True


def enqueue_scheduled(redis: Redis, batch: Batch) -> bool:
    """Hand a committed scheduled batch to RQ's scheduler (the job re-checks the state).

    False when Redis is down: the batch is stored as scheduled, and the sweep sends it at its time."""
    try:
        queues.queue(redis, "outbox").enqueue_at(
            batch.scheduled_for, SEND_BATCH_JOB, batch.id, job_id=batches.job_id(batch.id), job_timeout=BATCH_TIMEOUT
        )
    except RedisError as exc:
        log.warning("batch %s: scheduled, but not handed to RQ (%s); the sweep sends it", batch.id, type(exc).__name__)
        return False
    return True


def send_batch_now(
    session: Session,
    settings: Settings,
    redis: Redis,
    batch_id: int,
    user_id: int | None = None,
    only_if_scheduled: bool = False,
    confirm: int | None = None,
) -> batches.SendResult:
    """Write a batch's rows part by part, committing and enqueueing each part as it is written,
    so that workers send the first emails while the rest are still being rendered.

    With Redis down every part is still written and committed; the sweep enqueues the rows."""
    down: list[str] = []

    def commit_and_enqueue(ids: list[int]) -> None:
        session.commit()
        if down or not ids:
            return  # Redis failed on an earlier part: don't wait on it again for every part
        at = session.scalar(select(func.max(Outbound.next_attempt_at)).where(Outbound.id.in_(ids)))
        try:
            enqueue_delivery(redis, ids, chunk=len(ids), at=at)  # one job per part: see batches.PART
        except RedisError as exc:
            down.append(type(exc).__name__)

    result = batches.send(
        session,
        settings,
        batch_id,
        user_id=user_id,
        only_if_scheduled=only_if_scheduled,
        after_part=commit_and_enqueue,
        confirm=confirm,
    )
    session.commit()
    if down:
        log.warning("batch %s: rows stored but not enqueued (%s); the outbox sweep sends them", batch_id, down[0])
    return result


def enqueue_due_batches(database: Database, redis: Redis, now: datetime | None = None) -> list[int]:
    """Enqueue the send job of each scheduled batch more than LATE past its time (RQ's scheduler
    lost it or is not running); the job only sends a batch that is still scheduled."""
    now = now or utcnow()
    with database.session() as session:
        due = due_scheduled(session, now - LATE)
    handed: list[int] = []
    q = queues.queue(redis, "outbox")
    for batch_id in due:
        job_id = f"{batches.job_id(batch_id)}-due"
        job = Job.fetch_many([job_id], connection=redis)[0]
        if job is not None and job.get_status(refresh=False) in ("queued", "started"):
            continue  # handed over on an earlier pass; a worker will get to it
        q.enqueue(SEND_BATCH_JOB, batch_id, job_id=job_id, job_timeout=BATCH_TIMEOUT)
        handed.append(batch_id)
    if handed:
        log.warning("sweep: %d scheduled batch(es) past their time sent from the database: %s", len(handed), handed)
    return handed


def sweep(database: Database, redis: Redis, settings: Settings | None = None, now: datetime | None = None) -> dict:
    """Reclaim expired leases and enqueue what is due; run it every 15 s (the sweeper loop does)."""
    now = now or utcnow()
    reclaimed = delivery.reclaim_expired(database, now)
    ids = outbox.due_unclaimed(database, now)
    enqueue_delivery(redis, ids, delivery.chunk_size(settings))
    late = enqueue_due_batches(database, redis, now)
    if reclaimed:
        log.warning("outbox sweep: reclaimed %s rows from expired leases", len(reclaimed))
    return {"reclaimed": len(reclaimed), "enqueued": len(ids), "batches": len(late)}
