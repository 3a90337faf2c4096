"""RQ entry points: ids in, work done through the runtime the worker built once, commit.

Jobs are module-level functions that take ids, are safe to run twice, and never catch-and-log
(an exception must reach RQ so that it records the failure and retries).
"""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis

from triage import config
from triage.config import Settings
from triage.db import Database
from triage.runtime import queues


@dataclass
class Runtime:
    settings: Settings
    database: Database
    redis: Redis


_runtime: Runtime | None = None


def install(runtime: Runtime) -> None:
    """Called once by `triage worker` (and by tests) before any job runs."""
    global _runtime
    if _runtime is not None and _runtime.database is not runtime.database:
        _runtime.database.dispose()  # close the replaced pool's connections, not leave them to GC
    _runtime = runtime


def runtime() -> Runtime:
    if _runtime is None:
        settings = config.load()
        install(Runtime(settings, Database(settings.database_url), queues.connect(settings)))
    return _runtime


def ping(value: str) -> dict:
    """Round trip through Redis, a worker and the database; used by tests and `triage check`."""
    with runtime().database.session() as session:
        session.connection().exec_driver_sql("SELECT 1")
    return {"echo": value, "database": runtime().database.engine.dialect.name}
