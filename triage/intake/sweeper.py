"""Re-enqueue messages stored while Redis was down (or whose job was lost): rows stuck in `received`."""

from __future__ import annotations

import logging
from datetime import timedelta

from redis import Redis
from sqlalchemy import or_, select

from triage.db import Database, Message, MessageState
from triage.db.base import utcnow
from triage.intake.accept import enqueue
from triage.runtime import queues

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=60)  # a job enqueued at intake normally runs well within this
LIMIT = 10_000


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


def sweep(database: Database, redis: Redis, grace: timedelta = GRACE) -> int:
    """Enqueue the stuck messages; return how many (0 when Redis is still down)."""
    try:
        if queues.queue(redis, "intake").count > 0:
            return 0  # a backlog: the stuck rows are most likely in it; look again when it drains
    except Exception as exc:  # noqa: BLE001 - Redis down: nothing to do until it is back
        log.warning("sweeper: Redis unavailable (%s)", type(exc).__name__)
        return 0
    ids = stuck(database, grace)
    if ids and enqueue(redis, ids):
        log.info("sweeper re-enqueued %d message(s)", len(ids))
        return len(ids)
    return 0
