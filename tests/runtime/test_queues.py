"""A real RQ job round trip: enqueue, a real worker in burst mode, the result back through Redis."""

from rq.job import JobStatus

from triage.runtime import jobs, queues, worker


def test_job_round_trip_through_redis_and_worker(settings, redis_client):
    job = queues.queue(redis_client, "default").enqueue(jobs.ping, "hello")
    worker.build(settings).work(burst=True)
    job.refresh()
    assert job.get_status() == JobStatus.FINISHED
    assert job.return_value() == {"echo": "hello", "database": settings.database_url.split(":")[0].split("+")[0]}


def test_unknown_queue_name_is_refused(redis_client):
    import pytest

    with pytest.raises(ValueError):
        queues.queue(redis_client, "nope")


def test_healthz_ok_when_both_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["checks"] == {"database": "ok", "redis": "ok"}


def test_healthz_names_redis_when_it_is_down(make_settings, redis_client):
    from triage import create_app

    app = create_app(make_settings(REDIS_URL="redis://127.0.0.1:1/0"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json["down"] == ["redis"]
    app.extensions["triage.database"].dispose()


def test_healthz_names_the_database_when_it_is_down(make_settings, redis_client, tmp_path):
    from triage import create_app

    app = create_app(make_settings(DATABASE_URL=f"sqlite:///{tmp_path}/no/such/dir/x.db"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json["down"] == ["database"]
    app.extensions["triage.database"].dispose()


def test_queues_come_in_order_of_priority_whatever_order_they_are_named_in():
    assert queues.ordered(["retrain", "intake"]) == ("intake", "retrain")


def test_naming_no_queue_means_every_queue():
    assert queues.ordered() == queues.QUEUE_NAMES


def test_an_unknown_queue_name_is_refused_with_the_known_ones():
    import pytest

    with pytest.raises(ValueError, match="intake, outbox, default, retrain"):
        queues.ordered(["intake", "mail"])


def test_a_mail_worker_leaves_the_retrain_queue_alone(settings, redis_client):
    job = queues.queue(redis_client, queues.RETRAIN).enqueue(jobs.ping, "hello")
    worker.build(settings, queue_names=queues.MAIL_QUEUES).work(burst=True)
    assert job.get_status(refresh=True) == JobStatus.QUEUED


def test_a_retrain_worker_serves_the_retrain_queue_only(settings, redis_client):
    mail = queues.queue(redis_client, "default").enqueue(jobs.ping, "mail")
    job = queues.queue(redis_client, queues.RETRAIN).enqueue(jobs.ping, "retrain")
    worker.build(settings, queue_names=[queues.RETRAIN]).work(burst=True)
    assert (job.get_status(refresh=True), mail.get_status(refresh=True)) == (JobStatus.FINISHED, JobStatus.QUEUED)


def test_triage_worker_refuses_an_unknown_queue(monkeypatch, settings):
    from click.testing import CliRunner

    from triage.cli import cli

    monkeypatch.setenv("TRIAGE_VAR_DIR", str(settings.var_dir))
    result = CliRunner().invoke(cli, ["worker", "--burst", "--queue", "nope"])
    assert (result.exit_code, "unknown queue(s) nope" in result.output) == (2, True), result.output


def test_a_worker_stops_listening_at_once_after_it_unsubscribes(settings, redis_client):
    """rq unsubscribes before it stops its command listener; the listener must not then sit out a
    60 s poll waiting for a subscription that never comes (every burst worker took a minute to end)."""
    import time

    w = worker.build(settings)
    w.subscribe()
    listener = w.pubsub_thread
    w.pubsub.unsubscribe()
    deadline = time.monotonic() + 5
    while w.pubsub.subscribed and time.monotonic() < deadline:  # the listener reads the reply
        time.sleep(0.01)
    time.sleep(0.3)  # ...and is back in its wait for a subscription
    listener.stop(timeout=5)  # a hang bound, not a speed figure: the old poll was 60 s
    assert not listener.is_alive()
    w.pubsub.close()
