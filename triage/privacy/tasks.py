"""The daily retention run as an RQ job, and the scheduling that hands it to RQ's scheduler once a day.

`schedule` is idempotent (one job id per day), so the loop that calls it (`triage retention
schedule`, kept running beside the sweepers) may run on several machines at once.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from redis import Redis
from rq.job import Job

from triage.db.base import utcnow
from triage.privacy import retention
from triage.runtime import jobs, queues

log = logging.getLogger(__name__)

RUN_JOB = "triage.privacy.tasks.run_retention"
RUN_AT = time(3, 0)  # UTC: a quiet hour for intake
TIMEOUT = 3600


def run_retention() -> dict:
    """Erase what retention says is due now (safe to run twice: the second run finds nothing)."""
    rt = jobs.runtime()
    return retention.run(rt.database, rt.settings, utcnow())


def next_run(now: datetime) -> datetime:
    today = datetime.combine(now.date(), RUN_AT, tzinfo=now.tzinfo)
    return today if today > now else today + timedelta(days=1)


def schedule(redis: Redis, now: datetime | None = None) -> str:
    """Make sure the next daily run is waiting in RQ's scheduler; returns its job id."""
    when = next_run(now or utcnow())
    job_id = f"retention-{when.date().isoformat()}"
    existing = Job.fetch_many([job_id], connection=redis)[0]
    if existing is None:
        queues.queue(redis, "default").enqueue_at(when, RUN_JOB, job_id=job_id, job_timeout=TIMEOUT)
        log.info("retention run scheduled for %s", when.isoformat())
    return job_id
