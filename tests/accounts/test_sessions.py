"""A session ends when it should: a copied cookie is refused after logout, deactivation,
a password change or a role change (each bumps the user's session version)."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_from
from triage.accounts import users


def _copy_session_cookie(client) -> str:
    return client.get_cookie("session").value


def _replay(app, cookie: str):
    """A second browser holding a copy of the cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def _log_out(client) -> None:
    token = csrf_from(client.get("/").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})


def _is_sent_to_login(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_copied_cookie_opens_the_inbox_while_the_session_lasts(app, client, make_user, login):
    login(make_user())
    assert _replay(app, _copy_session_cookie(client)).get("/").status_code == 200


def test_a_cookie_copied_before_logout_is_refused_after_logout(app, client, make_user, login):
    login(make_user())
    copied = _copy_session_cookie(client)
    _log_out(client)
    assert _is_sent_to_login(_replay(app, copied).get("/"))


def test_a_cookie_copied_before_logout_cannot_post_after_logout(app, client, make_user, login):
    login(make_user())
    token = csrf_from(client.get("/").get_data(as_text=True))  # kept in the session, so in the copy
    copied = _copy_session_cookie(client)
    _log_out(client)
    response = _replay(app, copied).post("/messages/1/archive", data={"csrf_token": token})
    assert _is_sent_to_login(response)


def test_logging_in_again_after_logout_opens_a_working_session(client, make_user, login):
    user = make_user()
    login(user)
    _log_out(client)
    login(user)
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda session, user: users.deactivate(session, user), id="deactivation"),
        pytest.param(lambda session, user: users.set_password(session, user, "a new long passphrase"), id="password"),
        pytest.param(lambda session, user: users.set_role(session, user, "line_manager"), id="role"),
    ],
)
def test_an_open_session_is_refused_after_an_account_change(client, make_user, login, db_session, change):
    user = make_user()
    login(user)
    change(db_session, user)
    db_session.commit()
    assert _is_sent_to_login(client.get("/"))


def test_a_cookie_from_before_session_versions_is_refused(app, client, make_user):
    user = make_user()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)  # what a cookie held before session versions
        session["_fresh"] = True
    assert _is_sent_to_login(client.get("/"))


def test_logout_is_audited(client, make_user, login, db_session):
    from sqlalchemy import select

    from triage.db import AuditEvent

    user = make_user()
    login(user)
    _log_out(client)
    actions = list(
        db_session.scalars(select(AuditEvent.action).where(AuditEvent.user_id == user.id).order_by(AuditEvent.id))
    )
    assert actions[-1] == "user.logout"
