"""`triage up`: everything on one machine, and one Ctrl-C stops it all cleanly.

Children run in their own sessions so that the terminal's SIGINT reaches only us; we send each
one SIGTERM (a graceful stop for gunicorn, RQ and the SMTP servers, and a quiet one for a child
still starting up), then wait, then escalate.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from triage.config import Settings
from triage.runtime import queues

log = logging.getLogger(__name__)

GRACE_SECONDS = 15


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    oneshot: bool = False


def _triage(*args: str) -> list[str]:
    return [sys.executable, "-m", "triage.cli", *args]


def _serving(names: tuple[str, ...]) -> list[str]:
    return [arg for name in names for arg in ("--queue", name)]


def plan(settings: Settings, workers: int = 2) -> list[tuple[str, list[str]]]:
    """The processes `triage up` runs, in start order."""
    commands: list[tuple[str, list[str]]] = []
    smtp = urlsplit(settings.smtp_url)
    if smtp.hostname in ("127.0.0.1", "localhost") and smtp.port == settings.sink_port:
        commands.append(("sink", _triage("sink")))
    # Mail first; retraining gets a worker of its own because one retrain holds a worker for minutes.
    commands.append(("worker", _triage("worker", *_serving(queues.MAIL_QUEUES))))
    commands.append(("retrain-worker", _triage("worker", *_serving((queues.RETRAIN,)))))
    commands.append(("smtp", _triage("smtp")))
    commands.append(("sweeper", _triage("sweeper")))
    commands.append(("outbox-sweeper", _triage("batch", "sweep")))
    # gthread: concurrent requests in one process share the intake's group commits.
    commands.append(
        (
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(workers),
                "--worker-class",
                "gthread",
                "--threads",
                "8",
                "--bind",
                f"{settings.web_host}:{settings.web_port}",
                "--graceful-timeout",
                "10",
                "--access-logfile",
                "-",
                "triage.wsgi:app",
            ],
        )
    )
    return commands


def run(settings: Settings, workers: int = 2, demo: bool = False) -> int:
    stop = {"asked": False}

    def ask_stop(signum, _frame):
        stop["asked"] = True

    signal.signal(signal.SIGINT, ask_stop)
    signal.signal(signal.SIGTERM, ask_stop)
    env = dict(os.environ, TRIAGE_VAR_DIR=str(settings.var_dir), PYTHONUNBUFFERED="1")
    redis_process = queues.start_embedded_redis(settings.var_dir) if settings.embedded_redis else None
    children: list[Child] = []
    status = 0
    try:
        for name, command in plan(settings, workers):
            children.append(
                Child(name, subprocess.Popen(command, env=env, start_new_session=True, stdin=subprocess.DEVNULL))
            )
        if demo:
            # A one-shot child: waits for the web app, then feeds the demo mail through HTTP intake.
            oneshot = subprocess.Popen(
                _triage("demo", "--if-empty", "--wait"), env=env, start_new_session=True, stdin=subprocess.DEVNULL
            )
            children.append(Child("demo", oneshot, oneshot=True))
        print(
            f"Triage is up at {settings.base_url}  (inbound SMTP on "
            f"{settings.smtp_listen_host}:{settings.smtp_listen_port}; Ctrl-C stops everything)",
            flush=True,
        )
        while not stop["asked"]:
            dead = [
                c for c in children if c.process.poll() is not None and not (c.oneshot and c.process.returncode == 0)
            ]
            if dead:
                for child in dead:
                    print(
                        f"triage up: {child.name} exited with status {child.process.returncode}; stopping the rest",
                        file=sys.stderr,
                        flush=True,
                    )
                status = 1
                break
            time.sleep(0.2)
    finally:
        _stop(children)
        if redis_process is not None:
            redis_process.send_signal(signal.SIGTERM)  # redis saves its snapshot on SIGTERM
            redis_process.wait(timeout=GRACE_SECONDS)
    print("Triage stopped.", flush=True)
    return status


def _stop(children: list[Child]) -> None:
    for child in reversed(children):  # web first: stop taking work before the workers go
        if child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for child in children:
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in %ss; killing it", child.name, GRACE_SECONDS)
            child.process.kill()
            child.process.wait()
    _stop_leftovers(children)


def _stop_leftovers(children: list[Child]) -> None:
    """Stop what a child left running in its process group (each child has its own session).

    An RQ worker stopped while it was still starting can leave its scheduler process behind,
    which would go on talking to a Redis that is about to stop."""
    groups = [c.process.pid for c in children]
    for group in groups:
        _signal_group(group, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_signal_group(g, 0) for g in groups):
        time.sleep(0.05)
    for group in groups:
        _signal_group(group, signal.SIGKILL)


def _signal_group(group: int, signum: int) -> bool:
    """Signal a process group; False when it has no process left."""
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        return False
    except PermissionError:  # a reused group id that is not ours
        return False
    return True
