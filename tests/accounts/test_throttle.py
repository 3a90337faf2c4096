"""Login throttling: atomic per account and per address, short exponential backoff, and a login
for an unknown email that costs what a wrong password costs."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_from
from triage.accounts import logins, throttle
from triage.db import LoginFailure

PARALLEL = 40


def _post_login(client, email: str, password: str):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def _from(app, address: str):
    """A browser at another client address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_forty_parallel_wrong_passwords_get_at_most_five_guesses(app, make_user, settings, clock):
    user = make_user()
    clients = [app.test_client() for _ in range(PARALLEL)]
    tokens = [csrf_from(c.get("/login").get_data(as_text=True)) for c in clients]
    start = threading.Barrier(PARALLEL)

    def guess(i: int) -> int:
        start.wait()
        data = {"email": user.email, "password": f"wrong guess number {i}", "csrf_token": tokens[i]}
        return clients[i].post("/login", data=data).status_code

    with ThreadPoolExecutor(PARALLEL) as pool:
        codes = list(pool.map(guess, range(PARALLEL)))
    evaluated, refused = codes.count(401), codes.count(429)
    assert evaluated <= settings.login_max_attempts and evaluated + refused == PARALLEL


def test_a_throttled_login_is_refused_without_checking_the_password(app, make_user, settings, clock, monkeypatch):
    user = make_user()
    client = app.test_client()
    for _ in range(settings.login_max_attempts):
        _post_login(client, user.email, "wrong password!")
    checks = []
    real_verify = PasswordHasher.verify
    monkeypatch.setattr(PasswordHasher, "verify", lambda self, *a: checks.append(1) or real_verify(self, *a))
    _post_login(client, user.email, PASSWORD)
    assert checks == []


def test_the_right_password_works_from_another_address_once_the_short_backoff_passed(app, make_user, settings, clock):
    user = make_user()
    attacker = _from(app, "203.0.113.9")
    for _ in range(settings.login_max_attempts):
        _post_login(attacker, user.email, "wrong password!")
    clock.advance(1.01)
    assert _post_login(_from(app, "198.51.100.7"), user.email, PASSWORD).status_code == 302


def test_wrong_passwords_on_one_account_do_not_lock_another_account_on_the_same_address(
    app, make_user, settings, clock
):
    victim, colleague = make_user(), make_user()
    client = app.test_client()
    for _ in range(settings.login_max_attempts):
        _post_login(client, victim.email, "wrong password!")
    assert _post_login(client, colleague.email, PASSWORD).status_code == 302


def test_a_throttled_login_says_how_long_to_wait(app, make_user, settings, clock):
    user = make_user()
    client = app.test_client()
    for _ in range(settings.login_max_attempts):
        _post_login(client, user.email, "wrong password!")
    response = _post_login(client, user.email, PASSWORD)
    assert (response.status_code, response.headers["Retry-After"]) == (429, "1")


def test_each_failure_past_the_allowance_doubles_the_wait(db_session, settings, clock):
    waits = []
    for _ in range(settings.login_max_attempts + 3):
        try:
            logins.begin(db_session, settings, "someone@example.com", "192.0.2.1")
            db_session.commit()
        except throttle.Throttled as exc:
            db_session.rollback()
            waits.append(exc.retry_after)
            clock.advance(exc.retry_after)
            logins.begin(db_session, settings, "someone@example.com", "192.0.2.1")
            db_session.commit()
    assert waits == [1, 2, 4]


@pytest.mark.parametrize("failures, wait", [(1, 0), (4, 0), (5, 1), (6, 2), (7, 4), (10, 32), (11, 60), (500, 60)])
def test_the_backoff_grows_from_one_second_to_the_cap(failures, wait):
    assert throttle.delay(failures, allowance=5, max_delay=60) == wait


def test_an_address_is_throttled_after_four_times_an_accounts_allowance(db_session, settings, clock):
    for i in range(settings.login_max_attempts * throttle.ADDRESS_ALLOWANCE):
        logins.begin(db_session, settings, f"user{i}@example.com", "192.0.2.1")
        db_session.commit()
    with pytest.raises(throttle.Throttled):
        logins.begin(db_session, settings, "one-more@example.com", "192.0.2.1")


def test_a_correct_login_clears_the_accounts_failures(app, make_user, db_session, settings, clock):
    user = make_user()
    client = app.test_client()
    _post_login(client, user.email, "wrong password!")
    _post_login(client, user.email, PASSWORD)
    assert db_session.get(LoginFailure, throttle.account_key(user.email)) is None


def test_failures_are_forgotten_after_the_window(db_session, settings, clock):
    for _ in range(settings.login_max_attempts):
        logins.begin(db_session, settings, "someone@example.com", "192.0.2.1")
        db_session.commit()
    clock.advance(settings.login_window_seconds + 1)
    logins.sweep(db_session, settings)
    db_session.commit()
    assert list(db_session.scalars(select(LoginFailure.key))) == []


def test_an_unknown_email_costs_one_password_hash_check(client, login, monkeypatch):
    checks = []
    real_verify = PasswordHasher.verify
    monkeypatch.setattr(PasswordHasher, "verify", lambda self, *a: checks.append(1) or real_verify(self, *a))
    login("nobody@example.com", "some password here")
    assert len(checks) == 1
