"""Builders for the inbox tests: candidates, applications and messages written straight to the DB."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import csrf_from

_counter = itertools.count(1)


@pytest.fixture
def make_candidate(db_session):
    from triage.db import Candidate

    def build(name: str = "Ada Lovelace", email: str | None = None):
        candidate = Candidate(name=name, email=email or f"cand{next(_counter)}@example.org")
        db_session.add(candidate)
        db_session.commit()
        return candidate

    return build


@pytest.fixture
def make_application(db_session, make_candidate):
    from triage.db import Application, AppStage

    def build(role, candidate=None, stage: str = "interviewed"):
        app = Application(candidate=candidate or make_candidate(), role_id=role.id, stage=AppStage(stage))
        db_session.add(app)
        db_session.commit()
        return app

    return build


def mime(subject: str, body: str, html: str | None = None, sender: str = "cand@example.org") -> bytes:
    """A small raw message; with `html`, a multipart/alternative one."""
    head = (
        f"From: Candidate <{sender}>\r\nTo: jobs@triage.localhost\r\nSubject: {subject}\r\n"
        f"Message-ID: <{next(_counter)}@example.org>\r\nMIME-Version: 1.0\r\n"
    )
    if html is None:
        return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode()
    return (
        head + 'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n"
        "--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n--b1--\r\n"
    ).encode()


@pytest.fixture
def make_message(db_session):
    """make_message(role=None, application=None, lane="today", **fields) -> Message, committed."""
    from triage.db import Channel, Lane, Message, MessageState

    def build(
        role=None,
        application=None,
        lane: str | None = "today",
        subject: str = "Re: your interview",
        body: str = "Thanks, here are my references.",
        html: str | None = None,
        **fields,
    ):
        raw = fields.pop("raw", None) or mime(subject, body, html)
        received = fields.pop("received_at", datetime.now(UTC) - timedelta(hours=2))
        state = fields.pop("state", MessageState.held if lane == "held" else MessageState.triaged)
        digest = hashlib.sha256(raw).hexdigest()
        values = dict(
            raw=raw,
            size=len(raw),
            message_id=f"<m{next(_counter)}@example.org>",
            content_hash=digest,
            dedupe_key=hashlib.sha256(raw + str(next(_counter)).encode()).hexdigest(),
            channel=Channel.http,
            received_at=received,
            state=state,
            subject=subject,
            body_text=body,
            reply_text=body,
            has_html=html is not None,
            lane=Lane(lane) if lane else None,
            intent="info_response",
            confidence=0.9,
            reasons=["the candidate answers our request"],
            from_address="cand@example.org",
            from_name="Candidate",
            role_id=role.id if role is not None else (application.role_id if application else None),
            application_id=application.id if application else None,
            candidate_id=application.candidate_id if application else None,
            due_at=received + timedelta(hours=24) if lane == "today" else None,
        )
        values.update(fields)
        message = Message(**values)
        db_session.add(message)
        db_session.commit()
        return message

    return build


@pytest.fixture
def csrf(client):
    """The CSRF token of the logged-in session."""

    def get(path: str = "/") -> str:
        return csrf_from(client.get(path).get_data(as_text=True))

    return get
