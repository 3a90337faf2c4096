"""Handing committed outbox rows and scheduled batches to RQ, and the sweep that re-enqueues lost work.

Jobs are named by their dotted path (RQ resolves it in the worker), so this module does not
import the job module that calls back into it: triage.outbound.tasks sits above dispatch.
Every function here runs after the commit that made its rows (a job must never race its row).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime

from redis import Redis
from sqlalchemy.orm import Session

from triage.config import Settings
from triage.db import Batch
from triage.db.base import Database, utcnow
from triage.outbound import batches, delivery, outbox
from triage.runtime import queues

log = logging.getLogger(__name__)

DELIVER_JOB = "triage.outbound.tasks.deliver"
SEND_BATCH_JOB = "triage.outbound.tasks.send_batch"
DELIVER_TIMEOUT = 1800  # hundreds of rows over a slow relay; the lease is renewed while it runs
BATCH_TIMEOUT = 900


def chunks(ids: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def enqueue_delivery(redis: Redis, outbound_ids: list[int], chunk: int = delivery.CHUNK) -> None:
    """Enqueue delivery jobs for committed rows, `chunk` rows per job.

    A job sends its rows over one SMTP connection per `chunk_size` rows; a batch passes bigger
    jobs (a forked work horse costs tens of milliseconds, whatever its size)."""
    q = queues.queue(redis, "outbox")
    ids = sorted(set(outbound_ids))
    if not ids:
        return
    jobs = [
        q.prepare_data(DELIVER_JOB, args=(part,), timeout=DELIVER_TIMEOUT, result_ttl=600, failure_ttl=7 * 86400)
        for part in chunks(ids, chunk)
    ]
    q.enqueue_many(jobs)


def enqueue_scheduled(redis: Redis, batch: Batch) -> None:
    """Hand a committed scheduled batch to RQ's scheduler (the job re-checks the state)."""
    queues.queue(redis, "outbox").enqueue_at(
        batch.scheduled_for, SEND_BATCH_JOB, batch.id, job_id=batches.job_id(batch.id), job_timeout=BATCH_TIMEOUT
    )


def send_batch_now(
    session: Session,
    settings: Settings,
    redis: Redis,
    batch_id: int,
    user_id: int | None = None,
    only_if_scheduled: bool = False,
) -> batches.SendResult:
    """Write a batch's rows part by part, committing and enqueueing each part as it is written,
    so that workers send the first emails while the rest are still being rendered."""

    def commit_and_enqueue(ids: list[int]) -> None:
        session.commit()
        enqueue_delivery(redis, ids, chunk=len(ids))  # one job per part: see batches.PART

    result = batches.send(
        session, settings, batch_id, user_id=user_id, only_if_scheduled=only_if_scheduled, after_part=commit_and_enqueue
    )
    session.commit()
    return result


def sweep(database: Database, redis: Redis, settings: Settings | None = None, now: datetime | None = None) -> dict:
    """Reclaim expired leases and enqueue what is due; run it every 15 s (the sweeper loop does)."""
    now = now or utcnow()
    reclaimed = delivery.reclaim_expired(database, now)
    ids = outbox.due_unclaimed(database, now)
    enqueue_delivery(redis, ids, delivery.chunk_size(settings))
    if reclaimed:
        log.warning("outbox sweep: reclaimed %s rows from expired leases", len(reclaimed))
    return {"reclaimed": len(reclaimed), "enqueued": len(ids)}
