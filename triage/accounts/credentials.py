"""Credentials changed: every web process re-checks the API tokens it remembers.

A counter in Redis (the epoch) moves after each commit that revoked a token, deactivated a user
or changed their password or role. A web process remembers a token's user together with the
epoch it read; when the epoch has moved it asks the database again. So a revocation takes effect
on the next request in every process, while the hot intake path costs one Redis GET instead of a
database round trip. When Redis cannot be asked, the web process asks the database every time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from redis import Redis
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

EPOCH_KEY = "triage:credentials:epoch"
_FLAG = "triage.credentials_changed"
# Set by whoever made the session's Database (Database.info): how to reach Redis to say so.
NOTIFY = "triage.notify_credentials_changed"


def changed(session: Session) -> None:
    """Mark `session`: once it commits, every process forgets the tokens it remembers."""
    session.info[_FLAG] = True


# After a failed read, Redis is not asked again for this long: during an outage the intake must
# not wait for a connect timeout on every request.
RETRY_AFTER = 5.0
_unreachable_until = 0.0


def epoch(redis: Redis) -> int | None:
    """The current epoch, or None when Redis cannot be asked (then nothing remembered is trusted)."""
    global _unreachable_until
    if time.monotonic() < _unreachable_until:
        return None
    try:
        return int(redis.get(EPOCH_KEY) or 0)
    except Exception as exc:  # noqa: BLE001 - any Redis failure means "ask the database"
        log.warning("credentials epoch unavailable (%s): API tokens are checked in the database", type(exc).__name__)
        _unreachable_until = time.monotonic() + RETRY_AFTER
        return None


def bump(redis: Redis) -> None:
    try:
        redis.incr(EPOCH_KEY)
    except Exception as exc:  # noqa: BLE001 - the change is committed; other processes may lag
        log.warning("could not tell the web processes that credentials changed: %s", type(exc).__name__)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if not session.info.pop(_FLAG, False):
        return
    notify: Callable[[], None] | None = session.info.get(NOTIFY)
    if notify is None:
        log.warning("credentials changed in a session with no way to tell the web processes")
        return
    notify()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_FLAG, None)
