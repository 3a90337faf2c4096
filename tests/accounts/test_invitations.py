"""Invitations: an admin invites someone, the email goes through the outbox to a real SMTP sink, and the
link in it sets a password once, logs the person in, and then stops working; an expired link says so
and the admin sends a new one."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes
from email import policy as email_policy

import pytest
from sqlalchemy import select, update

from tests.conftest import PASSWORD, csrf_from
from tests.intake.conftest import keyword_model  # noqa: F401 - a fixture
from triage.accounts import invitations
from triage.accounts.passwords import verify_password
from triage.db import AuditEvent, User
from triage.db.base import utcnow
from triage.db.people import Invitation
from triage.runtime import worker

NEW_PASSWORD = "a long new passphrase"
# The worker that delivers the email loads no intent model from disk: these tests classify nothing.
pytestmark = pytest.mark.usefixtures("keyword_model")


@pytest.fixture
def settings(make_settings, redis_client, sink):
    """The suite's settings, sending to this test's sink."""
    return make_settings(SMTP_URL=f"smtp://127.0.0.1:{sink.port}")


@pytest.fixture
def admin_client(app, make_user):
    client = app.test_client()
    admin = make_user("admin", email="boss@example.com")
    admin.name = "Bea Boss"
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": token})
    return client


def _invite(client, **fields):
    data = {"email": "lena@example.com", "name": "Lena Manager", "kind": "line_manager", **fields}
    data["csrf_token"] = csrf_from(client.get("/admin/invitations").get_data(as_text=True))
    return client.post("/admin/invitations", data=data)


def _links(settings, sink) -> list[str]:
    """Deliver the outbox with a real RQ worker, then read every link out of the sink's mail."""
    worker.build(settings).work(burst=True)
    links = []
    for envelope in sink.messages:
        mail = message_from_bytes(envelope.original_content or envelope.content, policy=email_policy.default)
        links += re.findall(r"http://\S+/invitations/\S+", mail.get_body(("plain",)).get_content())
    return links


def _lena(db_session) -> int:
    """The invited user's id; the read transaction ends at once, so it holds nothing the app needs."""
    user_id = db_session.scalar(select(User.id).where(User.email == "lena@example.com"))
    db_session.commit()
    return user_id


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def _set_password(client, link: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    token = csrf_from(client.get(_path(link)).get_data(as_text=True))
    data = {"password": password, "confirm": password if confirm is None else confirm, "csrf_token": token}
    return client.post(_path(link), data=data)


def test_the_invitee_gets_one_email_with_a_link_and_no_password_is_shown(admin_client, settings, sink):
    page = _invite(admin_client, name="Lena <b>Manager</b>")
    listing = admin_client.get("/admin/invitations").get_data(as_text=True)
    [link] = _links(settings, sink)
    assert (page.status_code, sink.messages[0].rcpt_tos, "one-time-password" in listing) == (
        302,
        ["lena@example.com"],
        False,
    )
    assert "Lena &lt;b&gt;Manager&lt;/b&gt;" in listing and "waiting" in listing and link.count("/invitations/") == 1


def test_nobody_can_log_in_to_an_invited_account_before_the_link_is_used(app, admin_client, settings, sink, login):
    _invite(admin_client)
    assert [login("lena@example.com", p).status_code for p in ("!", NEW_PASSWORD)] == [401, 401]


def test_the_link_sets_the_password_and_logs_the_person_in(app, admin_client, settings, sink, make_role, database):
    _invite(admin_client)
    [link] = _links(settings, sink)
    invitee = app.test_client()
    reply = _set_password(invitee, link)
    home = invitee.get("/")
    with database.session() as s:
        accepted = s.scalar(select(AuditEvent.action).where(AuditEvent.action == "invitation.accept"))
    assert (reply.status_code, home.status_code, accepted) == (302, 200, "invitation.accept")
    assert "your password is set" in home.get_data(as_text=True)


def test_the_new_password_works_at_the_login_page(app, admin_client, settings, sink):
    _invite(admin_client)
    [link] = _links(settings, sink)
    _set_password(app.test_client(), link)
    other = app.test_client()
    token = csrf_from(other.get("/login").get_data(as_text=True))
    reply = other.post("/login", data={"email": "lena@example.com", "password": NEW_PASSWORD, "csrf_token": token})
    assert reply.status_code == 302


def test_a_used_link_cannot_be_used_again(app, admin_client, settings, sink):
    _invite(admin_client)
    [link] = _links(settings, sink)
    _set_password(app.test_client(), link)
    again = app.test_client().get(_path(link))
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)


def test_a_used_link_cannot_change_the_password_by_a_post_either(app, admin_client, settings, sink, database):
    _invite(admin_client)
    [link] = _links(settings, sink)
    stale = app.test_client()
    token = csrf_from(stale.get(_path(link)).get_data(as_text=True))  # the form was opened before the link was used
    _set_password(app.test_client(), link)
    reply = stale.post(
        _path(link), data={"password": "another passphrase!", "confirm": "another passphrase!", "csrf_token": token}
    )
    with database.session() as s:
        user = s.scalar(select(User).where(User.email == "lena@example.com"))
        still = verify_password(user.password_hash, NEW_PASSWORD)
    assert (reply.status_code, still) == (410, True)


def test_the_password_rules_apply_and_a_weak_password_leaves_the_link_usable(app, admin_client, settings, sink):
    _invite(admin_client)
    [link] = _links(settings, sink)
    invitee = app.test_client()
    weak = _set_password(invitee, link, "short")
    differ = _set_password(invitee, link, NEW_PASSWORD, confirm=NEW_PASSWORD + "x")
    assert (weak.status_code, differ.status_code) == (400, 400)
    assert "at least 10 characters" in weak.get_data(as_text=True)
    assert "not the same" in differ.get_data(as_text=True)
    assert _set_password(invitee, link).status_code == 302


def test_an_expired_link_says_so_and_the_admin_sends_a_new_one(app, admin_client, settings, sink, db_session):
    _invite(admin_client)
    [old] = _links(settings, sink)
    db_session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(minutes=1)))
    db_session.commit()
    expired = app.test_client().get(_path(old))
    listing = admin_client.get("/admin/invitations").get_data(as_text=True)
    user_id = _lena(db_session)
    admin_client.post(f"/admin/invitations/{user_id}/resend", data={"csrf_token": csrf_from(listing)})
    new = [link for link in _links(settings, sink) if link != old]
    assert expired.status_code == 410 and "expired on" in expired.get_data(as_text=True)
    assert "link expired" in listing and len(new) == 1
    assert _set_password(app.test_client(), new[0]).status_code == 302


def test_a_resend_retires_the_earlier_link(app, admin_client, settings, sink, db_session):
    _invite(admin_client)
    [old] = _links(settings, sink)
    user_id = _lena(db_session)
    token = csrf_from(admin_client.get("/admin/invitations").get_data(as_text=True))
    admin_client.post(f"/admin/invitations/{user_id}/resend", data={"csrf_token": token})
    reply = app.test_client().get(_path(old))
    assert reply.status_code == 410 and "newer invitation" in reply.get_data(as_text=True)


def test_a_tampered_link_is_not_valid(app, admin_client, settings, sink):
    _invite(admin_client)
    [link] = _links(settings, sink)
    reply = app.test_client().get(_path(link)[:-3] + "abc")
    assert reply.status_code == 404 and "not valid" in reply.get_data(as_text=True)


def test_a_link_signed_with_another_key_is_not_valid(db_session, make_user):
    user = make_user("recruiter", password=None)
    _, token = invitations.issue(db_session, "the-other-key-0123456789abcdef0123", user, None)
    with pytest.raises(invitations.LinkProblem) as problem:
        invitations.check(db_session, "test-secret-key-0123456789abcdef", token)
    assert problem.value.reason == "invalid"


def test_the_set_password_page_leaks_no_token_in_a_referer(app, admin_client, settings, sink):
    _invite(admin_client)
    [link] = _links(settings, sink)
    page = app.test_client().get(_path(link))
    assert (page.headers["Referrer-Policy"], page.headers["Cache-Control"]) == ("no-referrer", "no-store")


def test_someone_who_set_a_password_gets_no_new_link(app, admin_client, settings, sink, db_session):
    _invite(admin_client)
    [link] = _links(settings, sink)
    _set_password(app.test_client(), link)
    user_id = _lena(db_session)
    token = csrf_from(admin_client.get("/admin/invitations").get_data(as_text=True))
    reply = admin_client.post(f"/admin/invitations/{user_id}/resend", data={"csrf_token": token})
    assert reply.status_code == 400 and "already set a password" in reply.get_data(as_text=True)


def test_inviting_an_existing_email_says_so(admin_client, make_user):
    make_user("recruiter", email="lena@example.com")
    reply = _invite(admin_client)
    assert reply.status_code == 400 and "already exists" in reply.get_data(as_text=True)


def test_a_line_manager_invited_with_a_role_sees_it_after_setting_her_password(
    app, admin_client, settings, sink, make_role
):
    role = make_role("Nurse")
    _invite(admin_client, role_ids=[str(role.id)])
    [link] = _links(settings, sink)
    invitee = app.test_client()
    _set_password(invitee, link)
    assert role.reference in invitee.get("/hiring/roles").get_data(as_text=True)


def test_only_admins_may_invite(client, login, make_user):
    login(make_user("recruiter"))
    assert client.get("/admin/invitations").status_code == 403


def test_the_cli_invites_and_mails_a_link_to_the_base_url(app, settings, sink, make_role, database):
    role = make_role("Nurse", reference="REQ-77")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["invite", "lena@example.com", "--name", "Lena", "--kind", "line_manager", "--roles", "REQ-77"], cli=_cli()
    )
    [link] = _links(settings, sink)
    with database.session() as s:
        user = s.scalar(select(User).where(User.email == "lena@example.com"))
        roles = [r.reference for r in user.roles]
    assert result.exit_code == 0, result.output
    assert link.startswith(settings.base_url.rstrip("/") + "/invitations/") and roles == [role.reference]


def test_the_cli_resends_a_link(app, settings, sink):
    runner = app.test_cli_runner()
    runner.invoke(args=["invite", "lena@example.com"], cli=_cli())
    again = runner.invoke(args=["invite", "lena@example.com", "--resend"], cli=_cli())
    links = _links(settings, sink)
    assert again.exit_code == 0 and len(set(links)) == 2


def _cli():
    """`triage users invite` is this command (wired into the users group in triage/cli.py)."""
    import click

    from triage.hiring.cli import invite_command

    group = click.Group("users")
    group.add_command(invite_command)
    return group


def test_the_link_of_a_deactivated_invitee_does_not_work(app, admin_client, settings, sink, db_session):
    _invite(admin_client)
    [link] = _links(settings, sink)
    user_id = _lena(db_session)
    token = csrf_from(admin_client.get("/admin/users").get_data(as_text=True))
    admin_client.post(f"/admin/users/{user_id}", data={"action": "deactivate", "csrf_token": token})
    reply = app.test_client().get(_path(link))
    assert reply.status_code == 404 and "deactivated" in reply.get_data(as_text=True)
