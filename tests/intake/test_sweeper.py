"""The intake sweeper: never re-enqueues a message forever, and waits out Redis and database outages."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.intake.conftest import make_raw
from tests.own_redis import serve, until
from triage.db import Channel, Lane, Message, MessageState
from triage.intake import sweeper
from triage.intake.accept import Delivery, accept
from triage.runtime import loop, queues


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own, to stop and start again."""
    yield from serve(tmp_path)


def _stored(database) -> int:
    return accept(database, Delivery(make_raw(body="any update?"), Channel.http), None).id


def _state(database, message_id: int) -> tuple:
    with database.session() as s:
        return s.execute(select(Message.state, Message.lane, Message.error).where(Message.id == message_id)).one()


def _lose_the_jobs(redis) -> list:
    """Empty the intake queue as a lost job would; return the jobs' arguments."""
    q = queues.queue(redis, "intake")
    args = [job.args[0] for job in q.get_jobs()]
    q.empty()
    return args


def test_a_message_whose_job_keeps_getting_lost_is_failed_after_the_last_attempt(database, redis_client):
    message_id = _stored(database)
    for _ in range(3):
        sweeper.sweep(database, redis_client, timedelta(0), max_attempts=3)
        _lose_the_jobs(redis_client)
    assert sweeper.sweep(database, redis_client, timedelta(0), max_attempts=3) == 0
    state, lane, error = _state(database, message_id)
    assert (state, lane) == (MessageState.failed, Lane.review) and "not processed after 3 attempts" in error


def test_a_message_swept_again_goes_in_a_job_of_its_own(database, redis_client):
    first, second = _stored(database), _stored(database)
    sweeper.sweep(database, redis_client, timedelta(0))
    together = _lose_the_jobs(redis_client)
    sweeper.sweep(database, redis_client, timedelta(0))
    assert (together, sorted(_lose_the_jobs(redis_client))) == ([[first, second]], [[first], [second]])


def test_a_message_whose_job_waits_for_its_retry_is_left_to_it(database, redis_client):
    message_id = _stored(database)
    q = queues.queue(redis_client, "intake")
    q.enqueue_in(timedelta(minutes=5), "triage.processing.pipeline.process", [message_id])  # as RQ's Retry does
    assert sweeper.sweep(database, redis_client, timedelta(0)) == 0


def test_the_sweeper_loop_survives_redis_going_away_and_coming_back(database, own_redis, caplog):
    redis = own_redis.client()
    stop = threading.Event()

    def sweep():
        return sweeper.sweep(database, redis, timedelta(0))

    thread = threading.Thread(
        target=loop.repeat, args=("sweep", sweep, 0.05, stop), kwargs={"max_backoff": 0.2}, daemon=True
    )
    own_redis.stop()
    try:
        with caplog.at_level(logging.WARNING):
            thread.start()
            message_id = _stored(database)  # stored while Redis is down: only the sweeper can hand it over
            until(lambda: "Redis unavailable" in caplog.text)
            own_redis.start()
            until(lambda: queues.queue(redis, "intake").count == 1)
        assert thread.is_alive() and queues.queue(redis, "intake").get_jobs()[0].args == ([message_id],)
    finally:
        stop.set()
        thread.join(timeout=10)


def test_the_sweeper_loop_survives_the_database_going_away(redis_client, tmp_path, caplog):
    from triage.db import Database

    gone = Database(f"sqlite:///{tmp_path / 'missing' / 'gone.db'}")
    stop = threading.Event()
    thread = threading.Thread(
        target=loop.repeat,
        args=("sweep", lambda: sweeper.sweep(gone, redis_client, timedelta(0)), 0.05, stop),
        kwargs={"max_backoff": 0.1},
        daemon=True,
    )
    with caplog.at_level(logging.WARNING, logger="triage.runtime.loop"):
        thread.start()
        until(lambda: caplog.text.count("sweep failed (OperationalError)") >= 3)
    alive = thread.is_alive()
    stop.set()
    thread.join(timeout=10)
    assert alive
