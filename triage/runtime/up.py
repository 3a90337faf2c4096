"""`triage up`: everything on one machine, and one Ctrl-C stops it all cleanly.

Children run in their own sessions so that the terminal's SIGINT reaches only us; we send each
one SIGTERM (a graceful stop for gunicorn, RQ and the SMTP servers, and a quiet one for a child
still starting up), then wait, then escalate.

A child that dies is started again, after a pause that doubles while it keeps dying soon after
starting (up to MAX_PAUSE); one that ran for STEADY seconds starts again at once. Only a child
that dies at once GIVE_UP times in a row stops everything: an outage of the database or Redis
must not take the web app and the SMTP intake down with the one process that noticed it.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from triage.config import Settings
from triage.runtime import loop, queues

log = logging.getLogger(__name__)

GRACE_SECONDS = 15
STEADY = 60.0  # a child that ran this long was working: its death is not "dying at once"
FIRST_PAUSE = 1.0
MAX_PAUSE = 30.0
GIVE_UP = 8  # deaths in a row, each within STEADY of its start


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    oneshot: bool = False
    command: list[str] | None = None  # what to run again when it dies (None: never restarted)
    started: float = field(default_factory=time.monotonic)
    quick_deaths: int = 0  # in a row, each within STEADY of its start
    restart_at: float | None = None  # when it is dead and waiting to start again
    done: Callable[[], None] | None = None  # a one-shot's last word once it succeeded


@dataclass
class Restarts:
    """How `triage up` restarts its children (the tests make it quick)."""

    steady: float = STEADY
    first_pause: float = FIRST_PAUSE
    max_pause: float = MAX_PAUSE
    give_up: int = GIVE_UP


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
    # Keeps tomorrow's retention run waiting in RQ's scheduler (idempotent: one job id per day).
    commands.append(("retention-scheduler", _triage("retention", "schedule")))
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
                *_control_socket(settings),
                "triage.wsgi:app",
            ],
        )
    )
    return commands


def _control_socket(settings: Settings) -> list[str]:
    """gunicorn 25+ opens a control socket, by default one path per user: a second Triage on the
    machine (another var dir, a test) would take over the first one's. Each gets its own in var/."""
    from gunicorn.config import KNOWN_SETTINGS

    if not any(s.name == "control_socket" for s in KNOWN_SETTINGS):
        return []
    return ["--control-socket", str(settings.var_dir / "gunicorn.ctl")]


def start(name: str, command: list[str], env: dict[str, str], oneshot: bool = False) -> Child:
    process = subprocess.Popen(command, env=env, start_new_session=True, stdin=subprocess.DEVNULL)
    return Child(name, process, oneshot=oneshot, command=None if oneshot else command)


def run(settings: Settings, workers: int = 2, demo: bool = False) -> int:
    stop = {"asked": False}

    def ask_stop(signum, _frame):
        stop["asked"] = True

    signal.signal(signal.SIGINT, ask_stop)
    signal.signal(signal.SIGTERM, ask_stop)
    env = dict(os.environ, TRIAGE_VAR_DIR=str(settings.var_dir), PYTHONUNBUFFERED="1")
    redis_process = queues.start_embedded_redis(settings.var_dir) if settings.embedded_redis else None
    children: list[Child] = []
    if redis_process is not None:
        # Watched and restarted like the others (its snapshot keeps the queues); stopped last.
        children.append(Child("redis", redis_process, command=queues.embedded_redis_command(settings.var_dir)))
    status = 0
    try:
        for name, command in plan(settings, workers):
            children.append(start(name, command, env))
        if demo:
            # A one-shot child: waits for the web app, then feeds the demo mail through HTTP intake.
            children.append(start("demo", _triage("demo", "--if-empty", "--wait"), env, oneshot=True))
            # The login comes last, after the demo's own output, where it does not scroll away unseen.
            children[-1].done = lambda: print(demo_login(settings), flush=True)
        print(
            f"Triage is up at {settings.base_url}  (inbound SMTP on "
            f"{settings.smtp_listen_host}:{settings.smtp_listen_port}; Ctrl-C stops everything)",
            flush=True,
        )
        status = supervise(children, env, lambda: stop["asked"])
    finally:
        _stop([c for c in children if c.name != "redis"])
        for redis in (c for c in children if c.name == "redis"):
            if redis.process.poll() is None:
                redis.process.send_signal(signal.SIGTERM)  # redis saves its snapshot on SIGTERM
                redis.process.wait(timeout=GRACE_SECONDS)
    print("Triage stopped.", flush=True)
    return status


def supervise(
    children: list[Child], env: dict[str, str], stopped: Callable[[], bool], restarts: Restarts | None = None
) -> int:
    """Watch the children until `stopped()`, starting dead ones again; 1 when one keeps dying at once."""
    restarts = restarts or Restarts()
    while not stopped():
        now = time.monotonic()
        for child in children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.process = subprocess.Popen(
                        child.command, env=env, start_new_session=True, stdin=subprocess.DEVNULL
                    )
                    child.started, child.restart_at = now, None
                continue
            code = child.process.poll()
            if code is None:
                continue
            if child.oneshot:
                if code != 0:
                    _say(f"{child.name} exited with status {code}; the rest keeps running")
                elif child.done is not None:
                    child.done()
                children.remove(child)
                break  # the list changed; look again on the next turn
            _signal_group(child.process.pid, signal.SIGTERM)  # what it left in its group
            child.quick_deaths = child.quick_deaths + 1 if now - child.started < restarts.steady else 0
            if child.command is None:
                _say(f"{child.name} exited with status {code}; stopping the rest")
                return 1
            if child.quick_deaths >= restarts.give_up:
                _say(f"{child.name} exited with status {code} {child.quick_deaths} times in a row; stopping the rest")
                return 1
            pause = 0.0 if child.quick_deaths == 0 else _pause(child.quick_deaths, restarts)
            _say(f"{child.name} exited with status {code}; starting it again in {pause:.0f} s")
            child.restart_at = now + pause
        time.sleep(0.2)
    return 0


def _pause(deaths: int, restarts: Restarts) -> float:
    return loop.backoff(deaths, restarts.first_pause, restarts.max_pause)


def demo_login(settings: Settings) -> str:
    """The demo admin's login as the last thing `make run` prints (kept in var/demo-login.txt)."""
    login_file = settings.var_dir / "demo-login.txt"
    try:
        email, password = login_file.read_text().split()
    except (OSError, ValueError):
        return f"Demo ready at {settings.base_url} (no demo admin login in {login_file}: run `triage users demo-admin`)"
    rule = "=" * 72
    return (
        f"{rule}\nDemo ready. Log in at {settings.base_url}/login as {email} with password {password}\n"
        f"(kept in {login_file}; the team's logins are in {settings.var_dir / 'demo-users.txt'})\n{rule}"
    )


def _say(text: str) -> None:
    print(f"triage up: {text}", file=sys.stderr, flush=True)


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
