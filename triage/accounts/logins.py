"""Logging in with an email and a password, in two steps around a commit.

`begin` counts the attempt against the client address and the account (see throttle) and the
caller commits that at once; only then does `finish` check the password. So parallel guesses
see each other's counts, and a correct password is never checked once the limit is reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.accounts import throttle
from triage.accounts.passwords import hash_password, needs_rehash, verify_password
from triage.accounts.users import normalize_email
from triage.config import Settings
from triage.db import User, audit
from triage.db.base import utcnow


@dataclass(frozen=True)
class Attempt:
    email: str
    remote_addr: str
    at: datetime


def begin(session: Session, settings: Settings, email: str, remote_addr: str, now: datetime | None = None) -> Attempt:
    """Count a login attempt before its password is checked; raise Throttled while it must wait.

    The caller commits straight away (or rolls back on Throttled: a refused attempt costs nothing).
    """
    now = now or utcnow()
    email = normalize_email(email)
    per_account, per_address = throttle.allowances(settings)
    # Always the address first, then the account: every login takes its row locks in one order.
    throttle.count(session, settings, throttle.address_key(remote_addr), per_address, now)
    throttle.count(session, settings, throttle.account_key(email), per_account, now)
    return Attempt(email, remote_addr, now)


def finish(session: Session, settings: Settings, attempt: Attempt, password: str) -> User | None:
    """The user when the password is right (and the account active), else None; the caller commits."""
    user = session.scalar(select(User).where(User.email == attempt.email))
    # Checked even when no such user exists (against a dummy hash): a miss takes as long as a
    # wrong password, so the time of an answer does not tell which emails have accounts.
    correct = verify_password(user.password_hash if user is not None else None, password)
    if user is None or not user.active or not correct:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    throttle.succeeded(session, settings, attempt.email, attempt.remote_addr)
    audit.record(session, user.id, "user.login", "user", user.id)
    return user


def sweep(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Forget failures older than the window; the caller commits it on its own."""
    return throttle.sweep(session, settings, now or utcnow())
