"""`triage worker`: a real RQ worker that builds the app's runtime once, before it forks."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterable

from rq import Worker
from sqlalchemy.orm import configure_mappers

from triage.config import Settings
from triage.db import Database
from triage.outbound import tasks  # noqa: F401 - loaded once in the parent, shared by every forked job
from triage.processing import pipeline
from triage.runtime import jobs, queues

log = logging.getLogger(__name__)

# How long rq's command listener blocks in one poll (rq: 60 s). rq's teardown unsubscribes before
# it stops the listener, and redis-py 8's stop() waits for the thread, which by then can be waiting
# a whole poll for a subscription that never comes: every worker took a minute to end.
LISTEN_POLL = 0.2


class TriageWorker(Worker):
    """Forks per job like rq's Worker; the child drops inherited DB connections first."""

    serves_mail = True  # False for a retrain-only worker: it never classifies, so it loads no model
    # After a Redis outage rq retries its connection with a pause that doubles up to this (rq: 60 s);
    # a scheduled batch the outbox sweep hands over must not wait a minute for the worker to look.
    max_connection_wait_time = 10.0

    def execute_job(self, job, queue):
        # Before forking: a model activated since the last job is loaded once, here, and every
        # child inherits it, instead of each child loading it again.
        try:
            if self.serves_mail:
                _preload()
        except Exception:
            log.exception("could not refresh the intent model before job %s", job.id)
        return super().execute_job(job, queue)

    def subscribe(self):
        # rq's own subscribe, with a short poll (see LISTEN_POLL).
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=LISTEN_POLL, daemon=True, exception_handler=self._pubsub_exception_handler
        )

    def main_work_horse(self, *args, **kwargs):
        # SQLAlchemy pools are not fork-safe: the child must open its own connections.
        jobs.runtime().database.engine.dispose(close=False)
        return super().main_work_horse(*args, **kwargs)


def build(settings: Settings, name: str | None = None, queue_names: Iterable[str] = ()) -> TriageWorker:
    """A worker for the named queues (all of them, in order of priority, when none are named)."""
    names = queues.ordered(queue_names)
    connection = queues.connect(settings)
    jobs.install(jobs.Runtime(settings, Database(settings.database_url), connection))
    _warm()
    serves_mail = names != (queues.RETRAIN,)
    if serves_mail:
        _preload()
    # Maintenance also restarts rq's scheduler when an outage killed it (rq: every 10 min); the outbox
    # sweep sends a late scheduled batch from the database anyway, this only makes it rarer.
    w = TriageWorker(
        [queues.queue(connection, n) for n in names], connection=connection, name=name, maintenance_interval=60
    )
    w.serves_mail = serves_mail
    return w


def _warm() -> None:
    """Import the job modules and configure the ORM once, in the parent.

    Every job runs in a freshly forked work horse: without this each one imports the outbox
    stack and Jinja and configures every mapper on its first ORM statement (20-35 ms a job);
    the job modules themselves are imported at the top of this module for the same reason."""
    configure_mappers()
    gc.freeze()  # what the parent holds from now on is shared with the children, not scanned by them


def _preload() -> None:
    """Load (or, after an activation, reload) the classifier in the parent so forked jobs share it."""
    pipeline.preload(jobs.runtime())
