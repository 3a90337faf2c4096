"""Redis outages: a batch sent or scheduled meanwhile is stored (202) and goes out from the database;
a scheduled batch goes out near its time even when RQ's scheduler lost it; the outbox sweep lives on."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from tests.conftest import SECRET, free_port
from tests.own_redis import serve, until
from triage.accounts import users
from triage.db import BatchState, Database, Outbound, OutboxState, TemplateKind
from triage.db.base import utcnow
from triage.outbound import batches, dispatch, outbox, templates
from triage.runtime import loop, queues, worker

NEXT = date.today() + timedelta(days=7)


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own, to stop and start again."""
    yield from serve(tmp_path)


@pytest.fixture
def redis_down(make_settings, sink):
    """Settings whose Redis does not answer (nothing listens on its port)."""
    return make_settings(
        SMTP_URL=f"smtp://127.0.0.1:{sink.port}",
        TRIAGE_FROM_ADDRESS="jobs@acme.example",
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
    )


@pytest.fixture
def down_client(redis_down):
    from triage import create_app

    app = create_app(redis_down)
    yield app.test_client()
    app.extensions["triage.database"].dispose()


@pytest.fixture
def role(make_role, make_application):
    role = make_role(title="Data Analyst", reference="REQ-42")
    for i in range(3):
        make_application(name=f"Person{i} Smith", role=role, stage="interviewed")
    return role


@pytest.fixture
def auth(db_session, make_user):
    token = users.create_token(db_session, make_user("recruiter"), "t")
    db_session.commit()
    return {"Authorization": f"Bearer {token}"}


def choice(**kw) -> dict:
    return {
        "roles": ["REQ-42"],
        "stages": ["interviewed"],
        "template": "status_update",
        "next_update_on": str(NEXT),
        **kw,
    }


def _queued(database) -> int:
    with database.session() as s:
        return s.scalar(select(func.count()).select_from(Outbound).where(Outbound.state == OutboxState.queued))


def test_sending_a_batch_while_redis_is_down_is_202(down_client, auth, role):
    response = down_client.post("/api/v1/batches", json=choice(send=True, confirm=3), headers=auth)
    assert (response.status_code, response.json["queued"]) == (202, 3)


def test_a_batch_sent_while_redis_was_down_is_sent_by_the_sweep(down_client, auth, role, database, settings, sink):
    down_client.post("/api/v1/batches", json=choice(send=True, confirm=3), headers=auth)
    redis = queues.connect(settings)
    dispatch.sweep(database, redis, settings, now=utcnow() + outbox.RESCUE_AFTER)
    worker.build(settings).work(burst=True)
    assert (_queued(database), len(sink.messages)) == (0, 3)


def test_retrying_a_batch_while_redis_is_down_is_202(down_client, auth, role, db_session):
    created = down_client.post("/api/v1/batches", json=choice(send=True, confirm=3), headers=auth)
    db_session.execute(update(Outbound).values(state=OutboxState.failed, last_error="550 test"))
    db_session.commit()
    response = down_client.post(f"/api/v1/batches/{created.json['id']}/retry", headers=auth)
    assert (response.status_code, response.json["retried"]) == (202, 3)


def test_scheduling_a_batch_while_redis_is_down_is_202(down_client, auth, role):
    at = (date.today() + timedelta(days=1)).isoformat() + "T09:00:00+00:00"
    response = down_client.post("/api/v1/batches", json=choice(send_at=at, confirm=3), headers=auth)
    assert (response.status_code, response.json["state"]) == (202, "scheduled")


def test_the_batch_page_sends_while_redis_is_down(redis_down, make_user, role, db_session):
    from tests.conftest import PASSWORD, csrf_from
    from triage import create_app

    app = create_app(redis_down)
    client = app.test_client()
    user = make_user("recruiter")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    token = csrf_from(client.get("/batches/").get_data(as_text=True))
    template = templates.default_template(db_session, TemplateKind.status_update)
    response = client.post(
        "/batches/",
        data={
            "csrf_token": token,
            "role_ids": str(role.id),
            "stages": "interviewed",
            "template_id": str(template.id),
            "next_update_on": NEXT.isoformat(),
            "confirm": "3",
        },
    )
    app.extensions["triage.database"].dispose()
    assert response.status_code == 302


def _scheduled(db_session, role, hours: float = 1) -> int:
    templates.ensure_default_templates(db_session)
    template = templates.default_template(db_session, TemplateKind.status_update)
    batch = batches.create(
        db_session,
        role_ids=[role.id],
        stages=["interviewed"],
        template_id=template.id,
        next_update_on=NEXT,
        user_id=None,
    )
    batches.schedule(db_session, batch.id, utcnow() + timedelta(hours=hours), None)
    db_session.commit()
    return batch.id


def test_a_scheduled_batch_rq_lost_goes_out_from_the_database(db_session, role, database, settings, sink):
    batch_id = _scheduled(db_session, role)  # never handed to RQ: Redis was down, or the scheduler died
    redis = queues.connect(settings)
    assert dispatch.sweep(database, redis, settings, now=utcnow() + timedelta(hours=1))["batches"] == 0  # not late
    assert dispatch.sweep(database, redis, settings, now=utcnow() + timedelta(hours=1, seconds=30))["batches"] == 1
    worker.build(settings).work(burst=True)
    worker.build(settings).work(burst=True)  # the delivery jobs the batch job enqueued
    db_session.expire_all()
    assert (batches.get(db_session, batch_id).state, len(sink.messages)) == (BatchState.sent, 3)


def test_a_late_batch_is_handed_over_once_while_its_job_waits(db_session, role, database, settings):
    _scheduled(db_session, role)
    redis = queues.connect(settings)
    later = utcnow() + timedelta(hours=1, seconds=30)
    handed = [dispatch.sweep(database, redis, settings, now=later)["batches"] for _ in range(3)]
    assert handed == [1, 0, 0]


def test_the_outbox_sweep_loop_lives_through_an_outage_and_sends_a_batch_due_meanwhile(
    db_session, role, make_settings, own_redis, monkeypatch, caplog
):
    monkeypatch.setattr(dispatch, "LATE", timedelta(seconds=0.5))  # 20 s in production
    settings = make_settings(REDIS_URL=own_redis.url)
    batch_id = _scheduled(db_session, role, hours=1 / 3600)  # due in a second
    due = batches.get(db_session, batch_id).scheduled_for + dispatch.LATE
    database, redis, stop = Database(settings.database_url), own_redis.client(), threading.Event()
    dispatch.enqueue_scheduled(redis, batches.get(db_session, batch_id))
    own_redis.stop()  # RQ's scheduled job is lost with it
    thread = threading.Thread(
        target=loop.repeat,
        args=("outbox sweep", lambda: dispatch.sweep(database, redis, settings), 0.1, stop),
        kwargs={"max_backoff": 0.2},
        daemon=True,
    )
    thread.start()
    try:
        with caplog.at_level(logging.WARNING, logger="triage.runtime.loop"):
            until(lambda: utcnow() > due and "outbox sweep failed" in caplog.text)  # due, and Redis refused it
        own_redis.start()
        until(lambda: queues.queue(redis, "outbox").count >= 1)
        alive = thread.is_alive()
    finally:
        stop.set()
        thread.join(timeout=10)
        database.dispose()
    # The job that sends it is queued for the workers (test_a_scheduled_batch_rq_lost_... runs one).
    [job] = queues.queue(redis, "outbox").get_jobs()
    assert alive and (job.func_name, job.args) == (dispatch.SEND_BATCH_JOB, (batch_id,))


@pytest.mark.slow
def test_triage_batch_sweep_keeps_running_while_redis_is_down(settings, own_redis, tmp_path, db_session, role):
    from sqlalchemy import update

    # Rows to retry: every pass of the sweep hands them to Redis (and fails while it is down).
    batch_id = _scheduled(db_session, role)
    batches.send(db_session, settings, batch_id)
    db_session.execute(update(Outbound).values(attempts=1))
    db_session.commit()
    env = dict(
        os.environ,
        DATABASE_URL=settings.database_url,
        REDIS_URL=own_redis.url,
        TRIAGE_SECRET_KEY=SECRET,
        TRIAGE_VAR_DIR=str(tmp_path / "var"),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "triage.cli", "batch", "sweep", "--every", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stderr), daemon=True)
    reader.start()
    try:
        own_redis.stop()
        until(lambda: sum("outbox sweep failed" in line for line in lines) >= 3, seconds=60)
        own_redis.start()
        until(lambda: any("works again" in line for line in lines), seconds=60)
        alive = process.poll() is None
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        reader.join(timeout=10)
        process.stderr.close()
    assert alive and process.returncode == 0, "".join(lines)
    assert "Traceback" not in "".join(lines)
