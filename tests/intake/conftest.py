"""Intake fixtures: mail builders, a keyword intent model, API tokens, free ports."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.pipeline import Pipeline

from triage.classifier import IntentModel
from triage.processing import pipeline

_counter = itertools.count(1)

# Words that decide the test model's intent: the pipeline's plumbing is under test, not the model.
KEYWORDS = [
    ("withdraw", "withdrawal"),
    ("any update", "status_check"),
    ("feedback", "feedback_request"),
    ("thank you", "thank_you"),
    ("references attached", "info_response"),
    ("reschedule", "scheduling"),
    ("maybe", "other"),
]
LABELS = sorted({label for _, label in KEYWORDS} | {"offer_negotiation", "offer_response"})


class KeywordClassifier(ClassifierMixin, BaseEstimator):
    """A deterministic stand-in for the trained model: the first keyword found wins (0.9)."""

    def fit(self, X, y=None):
        self.classes_ = np.array(LABELS)
        return self

    def predict_proba(self, X):
        out = np.full((len(X), len(LABELS)), 0.1 / (len(LABELS) - 1))
        for row, (subject, body) in enumerate(X):
            text = f"{subject}\n{body}".lower()
            label = next((lab for word, lab in KEYWORDS if word in text), "other")
            out[row, LABELS.index(label)] = 0.9
            if "maybe" in text:  # low confidence on purpose
                out[row] = 1 / len(LABELS)
        return out


@pytest.fixture
def keyword_model():
    model = IntentModel(Pipeline([("classify", KeywordClassifier().fit(None))]), {"threshold": 0.5}, "test-keywords")
    pipeline.use_model(model)
    yield model
    pipeline.use_model(None)


def make_raw(
    *,
    sender: str = "Ada Candidate <ada@example.org>",
    to: str = "jobs@triage.localhost",
    subject: str = "Hello",
    body: str = "Hello there.",
    message_id: str | None = "auto",
    date: datetime | None = None,
    headers: dict[str, str] | None = None,
    crlf: bool = False,
) -> bytes:
    """A small RFC 5322 message; message_id="auto" makes a unique one, None leaves it out."""
    lines = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Date: {format_datetime(date or datetime(2026, 11, 20, 9, 0, tzinfo=UTC))}",
    ]
    if message_id == "auto":
        message_id = f"<m{next(_counter)}.{id(lines)}@example.org>"
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "", body, ""]
    text = "\r\n".join(lines) if crlf else "\n".join(lines)
    return text.encode("utf-8")


@pytest.fixture
def raw_mail():
    return make_raw


from tests.conftest import free_port  # noqa: E402,F401 - shared; tests import it from here


@pytest.fixture
def token_for(db_session):
    """token_for(user) -> a bearer token string."""
    from triage.accounts import users

    def make(user) -> str:
        token = users.create_token(db_session, user, "test")
        db_session.commit()
        return token

    return make


@pytest.fixture
def make_application(db_session):
    """make_application(email, role, stage="interviewed", **dates) -> Application (candidate created if new)."""
    from sqlalchemy import select

    from triage.db import Application, Candidate

    def make(email: str, role, stage: str = "interviewed", name: str = "Ada Candidate", **fields):
        candidate = db_session.scalar(select(Candidate).where(Candidate.email == email))
        if candidate is None:
            candidate = Candidate(email=email, name=name)
            db_session.add(candidate)
            db_session.flush()
        now = datetime.now(UTC)
        fields.setdefault("applied_at", now - timedelta(days=30))
        app = Application(candidate_id=candidate.id, role_id=role.id, stage=stage, **fields)
        db_session.add(app)
        db_session.commit()
        return app

    return make


@pytest.fixture
def run_import(settings):
    """run_import(*args) -> click Result of `triage import ARGS` against the test's database and Redis."""
    from click.testing import CliRunner

    from tests.conftest import SECRET
    from triage.cli import cli

    env = {
        "TRIAGE_VAR_DIR": str(settings.var_dir),
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "TRIAGE_SECRET_KEY": SECRET,
    }

    def run(*args: str):
        return CliRunner().invoke(cli, ["import", *args], env=env, catch_exceptions=False)

    return run
