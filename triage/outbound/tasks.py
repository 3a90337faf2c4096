"""RQ entry points for the outbox and batches: ids in, work through the worker's runtime, commit.

Every job is safe to run twice: delivery only claims queued rows, a batch only sends while it is
scheduled. SMTP outcomes are recorded on the rows (that is the outbox's state, not a swallowed
error); anything else (database down, a bug) raises so that RQ records the failure.
Enqueue through triage.outbound.dispatch, which names these functions.
"""

from __future__ import annotations

from triage.outbound import checks, delivery, dispatch
from triage.runtime import jobs


def deliver(outbound_ids: list[int]) -> dict:
    """Send the due, queued rows among `outbound_ids`; the job that sends a batch's last row
    marks the batch sent.

    Right before sending, each row is read again: a cancelled one is not queued and is never
    claimed, one with an unfilled placeholder fails with the reason, and one still inside its
    undo window (a caller that enqueued it at once) is put back on RQ's schedule for its time."""
    rt = jobs.runtime()
    checks.refuse_unfilled(rt.database, outbound_ids)
    tally = delivery.deliver(rt.database, rt.settings, outbound_ids).as_dict()
    later = checks.not_yet_due(rt.database, outbound_ids)
    for at, ids in later.items():
        dispatch.enqueue_delivery(rt.redis, ids, at=at)
    return {**tally, "later": sum(len(ids) for ids in later.values())}


def sweep() -> dict:
    """Reclaim expired leases and re-enqueue due rows nobody took."""
    rt = jobs.runtime()
    return dispatch.sweep(rt.database, rt.redis, rt.settings)


def send_batch(batch_id: int) -> dict:
    """Send a scheduled batch now (the scheduler runs this at its time; a cancelled one is a no-op)."""
    rt = jobs.runtime()
    with rt.database.session() as session:
        return dispatch.send_batch_now(session, rt.settings, rt.redis, batch_id, only_if_scheduled=True).summary()
