"""The one way a long-running process repeats its work: through outages, never out of them.

A pass that fails (the database or Redis down, a connection reset) logs one line naming the
error's type, waits (1 s, doubling up to a cap) and tries again; it never ends the process.
The database is the source of truth, so a pass that did not happen is made up by the next one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

FIRST_BACKOFF = 1.0
MAX_BACKOFF = 30.0


def backoff(failures: int, first: float = FIRST_BACKOFF, cap: float = MAX_BACKOFF) -> float:
    """Seconds to wait after `failures` failed passes in a row: first, twice that, ... at most cap."""
    return min(cap, first * 2 ** min(max(failures - 1, 0), 30))


def repeat(
    name: str,
    work: Callable[[], object],
    every: float,
    stop: threading.Event,
    *,
    first_backoff: float = FIRST_BACKOFF,
    max_backoff: float = MAX_BACKOFF,
) -> None:
    """Run `work` every `every` seconds until `stop` is set, surviving any error it raises."""
    failures = 0
    while not stop.is_set():
        try:
            work()
        except Exception as exc:  # noqa: BLE001 - an outage must not end the process; one line, no mail
            failures += 1
            wait = backoff(failures, first_backoff, max_backoff)
            log.warning("%s failed (%s); retrying in %.0f s", name, type(exc).__name__, wait)
        else:
            if failures:
                log.info("%s works again after %d failed pass(es)", name, failures)
            failures, wait = 0, every
        stop.wait(wait)
