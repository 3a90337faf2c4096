"""Builders for the hiring tests: API tokens, applications, the CSRF token of a page, the sample exports."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from tests.conftest import csrf_from
from tests.intake.conftest import keyword_model  # noqa: F401 - a fixture: the pipeline with a keyword model

DATA = Path(__file__).parent / "data"
_counter = itertools.count(1)


@pytest.fixture
def token_for(db_session):
    """token_for(user) -> the Authorization header of a fresh API token."""
    from triage.accounts import users

    def make(user) -> dict:
        secret = users.create_token(db_session, user, "tests")
        db_session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make


@pytest.fixture
def make_application(db_session):
    from triage.db import Application, AppStage, Candidate

    def build(role, stage: str = "interviewing", email: str | None = None, **fields):
        candidate = Candidate(name="Ada Lovelace", email=email or f"cand{next(_counter)}@example.org")
        app = Application(candidate=candidate, role_id=role.id, stage=AppStage(stage), **fields)
        db_session.add(app)
        db_session.commit()
        return app

    return build


@pytest.fixture
def csrf(client):
    def get(path: str = "/") -> str:
        return csrf_from(client.get(path).get_data(as_text=True))

    return get


@pytest.fixture
def sample():
    """sample("greenhouse") -> the bytes of tests/hiring/data/greenhouse.csv."""
    return lambda name: (DATA / f"{name}.csv").read_bytes()
