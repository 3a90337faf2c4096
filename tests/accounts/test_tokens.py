"""API tokens from the command line: list, revoke by id or by name, audited; the API refuses a
revoked token."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from triage.accounts import users
from triage.cli import cli
from triage.db import ApiToken, AuditEvent


@pytest.fixture
def issued(db_session, make_user):
    """(user, clear token, token row) for a token called "ci"."""
    user = make_user(email="rita@example.com")
    clear = users.create_token(db_session, user, "ci")
    db_session.commit()
    return user, clear, db_session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_tokens_lists_each_token_with_its_id_and_name(runner, issued):
    _, _, row = issued
    result = runner.invoke(cli, ["users", "tokens", "rita@example.com"])
    assert result.output.split("\t")[:2] == [str(row.id), "ci"]


def test_revoke_by_id_revokes_the_token(runner, issued, db_session):
    _, _, row = issued
    runner.invoke(cli, ["users", "token", "revoke", str(row.id)])
    db_session.expire_all()
    assert db_session.get(ApiToken, row.id).revoked_at is not None


def test_revoke_by_email_and_name_revokes_the_token(runner, issued, db_session):
    _, _, row = issued
    runner.invoke(cli, ["users", "token", "revoke", "--email", "rita@example.com", "--name", "ci"])
    db_session.expire_all()
    assert db_session.get(ApiToken, row.id).revoked_at is not None


def test_revoking_a_token_is_audited(runner, issued, db_session):
    _, _, row = issued
    runner.invoke(cli, ["users", "token", "revoke", str(row.id)])
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "token.revoke")).all()
    assert [(e.target_type, e.target_id) for e in events] == [("api_token", row.id)]


def test_revoking_an_unknown_token_fails_with_the_reason(runner, issued):
    result = runner.invoke(cli, ["users", "token", "revoke", "9999"])
    assert result.exit_code == 1 and "no such unrevoked token" in result.output


def test_token_with_an_email_still_makes_a_token(runner, issued):
    result = runner.invoke(cli, ["users", "token", "rita@example.com", "--name", "deploy"])
    assert result.output.startswith("trg_")


def test_the_api_refuses_a_token_revoked_from_the_cli(client, runner, issued):
    _, clear, row = issued
    runner.invoke(cli, ["users", "token", "revoke", str(row.id)])
    assert client.get("/api/v1/roles", headers=_bearer(clear)).status_code == 401


def test_a_token_that_just_worked_is_refused_on_the_next_request_once_revoked(client, runner, issued):
    _, clear, row = issued
    assert client.get("/api/v1/roles", headers=_bearer(clear)).status_code == 200
    runner.invoke(cli, ["users", "token", "revoke", str(row.id)])  # another process's session
    assert client.get("/api/v1/roles", headers=_bearer(clear)).status_code == 401


def test_deactivating_the_user_elsewhere_stops_their_token_on_the_next_request(client, runner, issued):
    user, clear, _ = issued
    assert client.get("/api/v1/roles", headers=_bearer(clear)).status_code == 200  # now remembered here
    result = runner.invoke(cli, ["users", "deactivate", user.email])  # another app, as another process
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/roles", headers=_bearer(clear)).status_code == 401


def test_a_remembered_token_is_checked_in_the_database_while_redis_cannot_be_asked(client, issued, db_session):
    from triage.accounts import credentials

    class Down:
        def get(self, key):
            raise ConnectionError("redis is down")

    user, clear, row = issued
    assert client.get("/api/v1/roles", headers=_bearer(clear)).status_code == 200  # remembered
    assert credentials.epoch(Down()) is None
    try:  # inside the pause after a failure, the epoch is not asked at all: nothing remembered counts
        row = db_session.merge(row)
        row.revoked_at = row.created_at
        db_session.commit()  # a change that moved no epoch (as if Redis had been down for it)
        assert client.get("/api/v1/roles", headers=_bearer(clear)).status_code == 401
    finally:
        credentials._unreachable_until = 0.0
