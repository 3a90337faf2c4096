"""The password policy: long enough, not the email, not one repeated character, not common."""

from __future__ import annotations

import pytest

from triage.accounts import passwords, users
from triage.errors import BadInput


@pytest.mark.parametrize(
    "password, reason",
    [
        ("short", "at least 10 characters"),
        ("aaaaaaaaaa", "one character repeated"),
        ("rita.jones@example.com", "email"),
        ("RITA.JONES@example.com", "email"),
        ("rita.jones", "email"),
        ("password123", "common passwords"),
        ("Qwertyuiop", "common passwords"),
        ("1234567890", "common passwords"),
        ("sunshine2025!", "common passwords"),
    ],
)
def test_a_weak_password_is_refused_with_the_reason(password, reason):
    with pytest.raises(BadInput, match=reason):
        passwords.check_policy(password, "rita.jones@example.com")


def test_a_long_uncommon_password_is_accepted():
    passwords.check_policy("correct horse battery", "rita.jones@example.com")


def test_the_common_password_list_ships_with_the_package():
    assert len(passwords.common_passwords()) >= 300


def test_creating_a_user_with_a_repeated_character_password_is_refused(db_session):
    with pytest.raises(BadInput, match="one character repeated"):
        users.create_user(db_session, "a@example.com", "A", "aaaaaaaaaa", "recruiter")


def test_creating_a_user_whose_password_is_the_email_is_refused(db_session):
    with pytest.raises(BadInput, match="email"):
        users.create_user(db_session, "long.name@example.com", "A", "long.name@example.com", "recruiter")


def test_changing_to_a_common_password_is_refused(db_session, make_user):
    with pytest.raises(BadInput, match="common passwords"):
        users.set_password(db_session, make_user(), "iloveyou123")


def test_the_cli_refuses_a_weak_password_with_the_reason(runner):
    from triage.cli import cli

    result = runner.invoke(cli, ["users", "create", "--email", "x@example.com", "--password", "aaaaaaaaaa"])
    assert result.exit_code == 1 and "one character repeated" in result.output
