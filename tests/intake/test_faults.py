"""Faults: kill -9 of the SMTP intake process mid-stream; replayed and malformed input over HTTP."""

from __future__ import annotations

import os
import random
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import func, select

from tests.conftest import SECRET
from tests.intake.conftest import free_port, make_raw
from triage.db import Message

DELIVERIES = 2000
CONNECTIONS = 4
KILLS = 5


def _start(settings, port: int) -> subprocess.Popen:
    env = dict(
        os.environ,
        TRIAGE_VAR_DIR=str(settings.var_dir),
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url,
        TRIAGE_SECRET_KEY=SECRET,
        TRIAGE_SMTP_PORT=str(port),
    )
    # The `triage smtp` command itself, without loading every other command's imports first.
    process = subprocess.Popen(
        [sys.executable, "-c", "from triage.intake.cli import smtp_command; smtp_command()"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            if process.poll() is not None:
                raise AssertionError(f"triage smtp exited with {process.returncode}") from None
            time.sleep(0.05)
    process.kill()
    raise AssertionError("triage smtp did not start listening")


class Sender:
    """Deliver messages one after another, retrying each until it gets a 250 (as an MTA would)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.acknowledged: list[str] = []
        self.attempts = 0
        self.client: smtplib.SMTP | None = None

    def _deliver(self, raw: bytes) -> int:
        if self.client is None:
            self.client = smtplib.SMTP("127.0.0.1", self.port, timeout=10)
        return self.client.sendmail("mta@example.net", ["jobs@triage.localhost"], raw) or 250

    def run(self, indexes: range, deadline: float) -> None:
        for i in indexes:
            raw = make_raw(message_id=f"<kill-{i}@example.net>", body=f"message {i}", crlf=True)
            while time.monotonic() < deadline:
                self.attempts += 1
                try:
                    self._deliver(raw)
                    self.acknowledged.append(f"<kill-{i}@example.net>")
                    break
                except (smtplib.SMTPException, OSError):
                    self._drop()  # connection gone (killed server) or 4xx: reconnect and retry
                    time.sleep(0.02)
            else:
                break
        self._drop()

    def _drop(self) -> None:
        if self.client is not None:
            self.client.close()
        self.client = None


@pytest.mark.slow
def test_kill_9_during_smtp_intake_loses_and_duplicates_nothing(settings, database):
    port = free_port()
    rng = random.Random(20261125)
    process = _start(settings, port)
    senders = [Sender(port) for _ in range(CONNECTIONS)]  # like an MTA: a few connections at once
    deadline = time.monotonic() + 240
    threads = [
        threading.Thread(target=s.run, args=(range(n, DELIVERIES, CONNECTIONS), deadline))
        for n, s in enumerate(senders)
    ]
    for thread in threads:
        thread.start()
    # Kill at random points of progress, not of time: on a fast machine 2,000 deliveries take a
    # few seconds, and timed kills could all land after the last one.
    kill_points = sorted(rng.sample(range(100, DELIVERIES - 100), KILLS))
    kills = 0
    try:
        for point in kill_points:
            while sum(len(s.acknowledged) for s in senders) < point and any(t.is_alive() for t in threads):
                time.sleep(0.005)
            if not any(t.is_alive() for t in threads):
                break
            time.sleep(rng.uniform(0, 0.02))  # somewhere inside the transactions in flight
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
            process = _start(settings, port)
        for thread in threads:
            thread.join()
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    with database.session() as s:
        counts = dict(s.execute(select(Message.message_id, func.count()).group_by(Message.message_id)).all())
    acknowledged = [mid for s in senders for mid in s.acknowledged]
    assert kills == KILLS, "the deliveries ended before every kill"
    assert [mid for mid in acknowledged if counts.get(mid) != 1] == []  # every 250 stored exactly once
    assert max(counts.values()) == 1
    assert len(acknowledged) == DELIVERIES, "the senders ran out of time"


@pytest.fixture
def auth(make_user, token_for):
    return {"Authorization": f"Bearer {token_for(make_user('recruiter'))}", "Content-Type": "message/rfc822"}


def test_every_malformed_fixture_posted_gets_a_clear_answer(client, auth, database, settings, keyword_model):
    from tests.shared_fixtures import shared_fixtures_dir
    from triage.processing import pipeline

    paths = sorted(
        p
        for p in (shared_fixtures_dir() / "malformed").iterdir()
        if p.is_file() and p.suffix in (".eml", ".txt", ".msg")
    )
    statuses = {p.name: client.post("/api/v1/messages", data=p.read_bytes(), headers=auth) for p in paths}
    assert {r.status_code for r in statuses.values()} <= {202, 400}
    assert all("not an email" in r.json["error"] for r in statuses.values() if r.status_code == 400)
    ids = [r.json["id"] for r in statuses.values() if r.status_code == 202]
    outcome = pipeline.run(database, settings, ids)
    assert outcome.processed == len(ids)
