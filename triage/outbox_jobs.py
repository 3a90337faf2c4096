"""RQ entry points for the outbox and batches: ids in, work through the worker's runtime, commit.

Every job is safe to run twice: delivery only claims queued rows, a batch only sends while it is
scheduled. SMTP outcomes are recorded on the rows (that is the outbox's state, not a swallowed
error); anything else (database down, a bug) raises so that RQ records the failure.
"""
from __future__ import annotations

from redis import Redis
from sqlalchemy.orm import Session

from triage import delivery, jobs, outbox
from triage.config import Settings

DELIVER_TIMEOUT = 1800  # hundreds of rows over a slow relay; the lease is renewed while it runs
BATCH_TIMEOUT = 900


def deliver(outbound_ids: list[int]) -> dict:
    """Send the due, queued rows among `outbound_ids`; the job that sends a batch's last row
    marks the batch sent."""
    rt = jobs.runtime()
    return delivery.deliver(rt.database, rt.settings, outbound_ids).as_dict()


def sweep() -> dict:
    """Reclaim expired leases and re-enqueue due rows nobody took."""
    rt = jobs.runtime()
    return outbox.sweep(rt.database, rt.redis, rt.settings)


def send_batch(batch_id: int) -> dict:
    """Send a scheduled batch now (the scheduler runs this at its time; a cancelled one is a no-op)."""
    rt = jobs.runtime()
    with rt.database.session() as session:
        return send_now(session, rt.settings, rt.redis, batch_id, only_if_scheduled=True).summary()


def send_now(session: Session, settings: Settings, redis: Redis, batch_id: int, user_id: int | None = None,
             only_if_scheduled: bool = False):
    """Write a batch's rows part by part, committing and enqueueing each part as it is written,
    so that workers send the first emails while the rest are still being rendered."""
    from triage import batches

    def commit_and_enqueue(ids: list[int]) -> None:
        session.commit()
        outbox.enqueue_delivery(redis, ids, chunk=len(ids))  # one job per part: see batches.PART

    result = batches.send(session, settings, batch_id, user_id=user_id, only_if_scheduled=only_if_scheduled,
                          after_part=commit_and_enqueue)
    session.commit()
    return result
