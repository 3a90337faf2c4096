"""A login clock the tests move by hand: the backoff is checked without sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from triage.accounts import logins


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Login time stands still until the test advances it."""
    clock = Clock()
    monkeypatch.setattr(logins, "utcnow", lambda: clock.now)
    return clock
