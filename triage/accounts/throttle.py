"""Login throttling: per account and per client address, with exponential backoff.

Each key ("account:<email>", "address:<ip>") has one LoginFailure row. An attempt is counted
against both keys *before* its password is checked, by a compare-and-swap UPDATE that works the
same on SQLite and PostgreSQL, and the caller commits that count at once: forty parallel guesses
see each other, so no more than the free allowance is ever evaluated. Past the allowance each
failure makes the key wait 1 s, 2 s, 4 s ... up to `login_max_delay_seconds`, never a long
lockout; a key is forgotten after `login_window_seconds` without a failure. A correct password
clears its account and refunds its own count on the address.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import case, delete, null, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from triage.config import Settings
from triage.db import LoginFailure
from triage.errors import Forbidden

# Colleagues in one office share an address: it may fail this many times more than one account.
ADDRESS_ALLOWANCE = 4
# A compare-and-swap only loses to another attempt that just succeeded; this many losses in a
# row means the key is being hammered, which is itself a reason to refuse.
CAS_TRIES = 50
SWEEP_BATCH = 500


class Throttled(Forbidden):
    """Too many failed logins for this account or address; try again after `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"too many failed logins; try again in {self.retry_after} s")


def account_key(email: str) -> str:
    return f"account:{email}"


def address_key(remote_addr: str) -> str:
    return f"address:{remote_addr}"


def delay(failures: int, allowance: int, max_delay: float) -> float:
    """Seconds a key waits after its `failures`-th failure: none within the allowance, then 1, 2, 4 ... capped."""
    if failures < allowance:
        return 0.0
    return min(2.0 ** min(failures - allowance, 30), max_delay)


def allowances(settings: Settings) -> tuple[int, int]:
    """(per account, per address) failures before the backoff starts."""
    return settings.login_max_attempts, settings.login_max_attempts * ADDRESS_ALLOWANCE


def count(session: Session, settings: Settings, key: str, allowance: int, now: datetime) -> None:
    """Count one attempt against `key`, or raise Throttled while the key must wait."""
    window = timedelta(seconds=settings.login_window_seconds)
    for _ in range(CAS_TRIES):
        session.execute(_insert_missing(session, key, now))
        row = session.execute(
            select(LoginFailure.failures, LoginFailure.last_failed_at, LoginFailure.blocked_until).where(
                LoginFailure.key == key
            )
        ).one_or_none()
        if row is None:  # swept between the insert and the read
            continue
        if row.blocked_until is not None and row.blocked_until > now:
            raise Throttled((row.blocked_until - now).total_seconds())
        failures = (0 if now - row.last_failed_at > window else row.failures) + 1
        wait = delay(failures, allowance, settings.login_max_delay_seconds)
        swapped = session.execute(
            update(LoginFailure)
            .where(
                LoginFailure.key == key,
                LoginFailure.failures == row.failures,
                LoginFailure.last_failed_at == row.last_failed_at,
            )
            .values(
                failures=failures, last_failed_at=now, blocked_until=now + timedelta(seconds=wait) if wait else None
            )
            .execution_options(synchronize_session=False)
        )
        if swapped.rowcount == 1:
            return
    raise Throttled(1)


def _insert_missing(session: Session, key: str, now: datetime):
    """INSERT the key's row unless it exists (ON CONFLICT DO NOTHING on both backends)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return (
        dialect.insert(LoginFailure)
        .values(key=key, failures=0, last_failed_at=now, blocked_until=None)
        .on_conflict_do_nothing(index_elements=[LoginFailure.key])
    )


def succeeded(session: Session, settings: Settings, email: str, remote_addr: str) -> None:
    """A correct password: forget the account's failures and take this attempt off the address."""
    _, address_allowance = allowances(settings)
    session.execute(
        update(LoginFailure)
        .where(LoginFailure.key == address_key(remote_addr), LoginFailure.failures > 0)
        .values(
            failures=LoginFailure.failures - 1,
            blocked_until=case(
                (LoginFailure.failures - 1 < address_allowance, null()), else_=LoginFailure.blocked_until
            ),
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(LoginFailure).where(LoginFailure.key == account_key(email)).execution_options(synchronize_session=False)
    )


def sweep(session: Session, settings: Settings, now: datetime) -> int:
    """Delete keys quiet for longer than the window; run it in a transaction of its own.

    SKIP LOCKED: the sweep never waits for a row that a login holds, so it cannot deadlock one.
    """
    stale = LoginFailure.last_failed_at < now - timedelta(seconds=settings.login_window_seconds)
    done = or_(LoginFailure.blocked_until.is_(None), LoginFailure.blocked_until < now)
    keys = list(
        session.scalars(
            select(LoginFailure.key).where(stale, done).limit(SWEEP_BATCH).with_for_update(skip_locked=True)
        )
    )
    if not keys:
        return 0
    # The conditions again: on SQLite the read above takes no lock, and a login may have come since.
    return session.execute(
        delete(LoginFailure).where(LoginFailure.key.in_(keys), stale, done).execution_options(synchronize_session=False)
    ).rowcount
