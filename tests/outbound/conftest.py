"""Outbox fixtures: a real aiosmtpd sink, settings that send to it, builders for people and mail."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime

import pytest

from tests.conftest import free_port  # noqa: F401 - shared; tests import it from here
from triage.db import Application, Candidate, Lane, Message, MessageState, Thread


@pytest.fixture
def settings(make_settings, redis_client, sink):
    """The suite's settings, sending to this test's sink."""
    return make_settings(SMTP_URL=f"smtp://127.0.0.1:{sink.port}", TRIAGE_FROM_ADDRESS="jobs@acme.example")


@pytest.fixture
def make_application(db_session, make_role):
    """make_application(name=..., email=..., role=None, stage="interviewed") -> Application, committed."""
    counter = itertools.count(1)

    def build(
        name: str = "Ada Lovelace", email: str | None = None, role=None, stage: str = "interviewed", **fields
    ) -> Application:
        n = next(counter)
        role = role or make_role()
        candidate = Candidate(email=email or f"cand{n}-{role.id}@example.org", name=name)
        application = Application(candidate=candidate, role_id=role.id, stage=stage, **fields)
        db_session.add(application)
        db_session.commit()
        return application

    return build


@pytest.fixture
def make_message(db_session):
    """make_message(application, subject=..., lane="held", is_chaser=True, **fields) -> Message."""
    counter = itertools.count(1)

    def build(
        application: Application | None = None,
        subject: str = "Any update?",
        lane: str = "held",
        state: str = "held",
        is_chaser: bool = True,
        **fields,
    ) -> Message:
        n = next(counter)
        raw = fields.pop("raw", f"Subject: {subject}\r\n\r\nhello {n}\r\n".encode())
        thread = None
        if application is not None:
            thread = Thread(candidate_id=application.candidate_id, role_id=application.role_id, subject=subject)
            db_session.add(thread)
            db_session.flush()
        defaults = dict(
            raw=raw,
            size=len(raw),
            message_id=f"<chaser{n}.{id(raw)}@example.org>",
            content_hash=hashlib.sha256(raw).hexdigest(),
            dedupe_key=hashlib.sha256(raw + bytes([n])).hexdigest(),
            channel="http",
            subject=subject,
            lane=Lane(lane),
            state=MessageState(state),
            is_chaser=is_chaser,
            intent="status_check",
            received_at=datetime.now(UTC),
        )
        if application is not None:
            defaults.update(
                candidate_id=application.candidate_id,
                application_id=application.id,
                role_id=application.role_id,
                thread_id=thread.id,
                from_address=application.candidate.email,
                from_name=application.candidate.name,
            )
        defaults.update(fields)
        message = Message(**defaults)
        db_session.add(message)
        db_session.commit()
        return message

    return build


@pytest.fixture
def worker_env(settings, redis_url, tmp_path):
    """The environment a `triage worker` subprocess needs to serve this test."""
    import os

    return dict(
        os.environ,
        DATABASE_URL=settings.database_url,
        REDIS_URL=redis_url,
        SMTP_URL=settings.smtp_url,
        TRIAGE_VAR_DIR=str(tmp_path / "worker"),
        TRIAGE_SECRET_KEY="w" * 32,
        TRIAGE_FROM_ADDRESS=settings.from_address,
    )


def kill_worker(process) -> None:
    """SIGKILL a `triage worker` and its work horse at once, as a crash or the OOM killer would."""
    import os
    import signal

    import psutil

    children = [child.pid for child in psutil.Process(process.pid).children(recursive=True)]
    for pid in [*children, process.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()


@pytest.fixture
def start_worker(worker_env):
    """start_worker() -> a running `triage worker` process (its own process group), stopped at the end."""
    import subprocess
    import sys

    processes = []

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "triage.cli", "worker"],
            env=worker_env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            kill_worker(process)


@pytest.fixture
def instant_team(db_session):
    """A team whose sends go at once (undo window 0): the tests that watch delivery don't wait 10 s."""
    from triage.db import Team

    team = Team(name="Sends at once", policy={"undo_send_seconds": 0})
    db_session.add(team)
    db_session.commit()
    return team


@pytest.fixture
def make_role(make_role, instant_team):
    """The suite's make_role, in a team with no undo window unless a team is given (tests of undo
    send give their own)."""

    def build(*args, **fields):
        fields.setdefault("team_id", instant_team.id)
        return make_role(*args, **fields)

    return build
