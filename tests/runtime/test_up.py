"""`triage up` as a user runs it: a subprocess that serves /healthz and stops cleanly on SIGINT."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "triage up exited early"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds}s")


def served_queues(command: list[str]) -> tuple[str, ...]:
    return tuple(command[i + 1] for i, arg in enumerate(command) if arg == "--queue")


def test_up_plans_a_mail_worker_and_a_retrain_worker(settings):
    from triage.runtime import queues, up

    workers = {
        name: served_queues(command) for name, command in up.plan(settings) if command[3:4] == ["worker"]
    }  # [python, -m, triage.cli, worker, ...]
    assert workers == {"worker": queues.MAIL_QUEUES, "retrain-worker": (queues.RETRAIN,)}


def test_each_triage_has_its_own_gunicorn_control_socket(make_settings, tmp_path):
    # gunicorn's default is one path per user (~/.gunicorn/gunicorn.ctl): two instances shared it.
    from gunicorn.config import KNOWN_SETTINGS

    from triage.runtime import up

    if not any(s.name == "control_socket" for s in KNOWN_SETTINGS):
        pytest.skip("this gunicorn has no control socket")
    paths = []
    for name in ("a", "b"):
        (web,) = [
            command
            for process, command in up.plan(make_settings(TRIAGE_VAR_DIR=str(tmp_path / name)))
            if process == "web"
        ]
        paths.append(web[web.index("--control-socket") + 1])
    assert paths == [str(tmp_path / "a" / "gunicorn.ctl"), str(tmp_path / "b" / "gunicorn.ctl")]


def running_workers(redis, process: subprocess.Popen, expected: int, seconds: float = 60) -> list[tuple[str, ...]]:
    """The queues each registered RQ worker serves, once `expected` of them have registered."""
    from rq import Worker

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "triage up exited early"
        workers = Worker.all(connection=redis)
        if len(workers) >= expected:
            return sorted(tuple(w.queue_names()) for w in workers)
        time.sleep(0.2)
    raise AssertionError(f"{expected} workers did not register within {seconds}s")


@pytest.mark.slow
def test_up_serves_healthz_runs_both_workers_and_stops_on_sigint(tmp_path, database_url, redis_url):
    from redis import Redis

    from triage.runtime import queues

    web, sink, smtp = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    # The embedded defaults (its own Redis) unless the suite runs against servers.
    env.update(
        TRIAGE_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=database_url,
        TRIAGE_PORT=str(web),
        TRIAGE_SINK_PORT=str(sink),
        TRIAGE_SMTP_PORT=str(smtp),
    )
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = redis_url
    # Its own process group, so the SIGINT below reaches the whole group as a terminal's Ctrl-C does.
    process = subprocess.Popen(
        [sys.executable, "-m", "triage.cli", "up", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert wait_for(f"http://127.0.0.1:{web}/healthz", process) == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{web}/login", timeout=5) as page:
            assert b"Log in to Triage" in page.read()
        redis = Redis.from_url(env.get("REDIS_URL") or f"unix://{tmp_path / 'var' / 'redis.sock'}")
        # Mail keeps flowing while a retrain runs: a second worker serves the retrain queue alone.
        assert running_workers(redis, process, 2) == sorted([queues.MAIL_QUEUES, (queues.RETRAIN,)])
        redis.close()
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=40)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "Triage stopped." in output
    assert "Traceback" not in output, output
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{web}/healthz", timeout=2)


def test_stopping_takes_down_what_a_child_left_in_its_process_group():
    from triage.runtime.up import Child, _stop

    # A child that starts a long-lived process of its own and exits, as an RQ worker stopped while
    # starting can leave its scheduler behind.
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys; print(subprocess.Popen("
            "[sys.executable, '-c', 'import time; time.sleep(60)']).pid)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    leftover = int(child.stdout.readline())
    child.stdout.close()
    child.wait()
    _stop([Child("worker", child)])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(leftover):
        time.sleep(0.05)
    assert not _alive(leftover)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie waiting for init to reap it is gone too
        return stat.read().split(") ")[-1][0] != "Z"


def _sleeper() -> list[str]:
    return [sys.executable, "-c", "import time; time.sleep(60)"]


def _supervising(children, restarts):
    """Run up.supervise in a thread; return (thread, stop event, result holder)."""
    import threading

    from triage.runtime import up

    stop, result = threading.Event(), {}
    thread = threading.Thread(
        target=lambda: result.update(status=up.supervise(children, dict(os.environ), stop.is_set, restarts)),
        daemon=True,
    )
    thread.start()
    return thread, stop, result


def test_a_child_that_dies_is_started_again_and_the_others_keep_running():
    from triage.runtime.up import Child, Restarts, _stop

    sweeper = Child("outbox-sweeper", subprocess.Popen(_sleeper(), start_new_session=True), command=_sleeper())
    web = Child("web", subprocess.Popen(_sleeper(), start_new_session=True), command=_sleeper())
    first, web_pid = sweeper.process.pid, web.process.pid
    thread, stop, _ = _supervising([sweeper, web], Restarts(first_pause=0.1))
    try:
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (sweeper.process.pid == first or sweeper.process.poll() is not None):
            time.sleep(0.05)
        restarted = sweeper.process.pid != first and sweeper.process.poll() is None
    finally:
        stop.set()
        thread.join(timeout=10)
        _stop([sweeper, web])
    assert restarted and web.process.pid == web_pid


def test_a_child_that_keeps_dying_at_once_stops_everything():
    from triage.runtime.up import Child, Restarts, _stop

    failing = [sys.executable, "-c", "raise SystemExit(3)"]
    broken = Child("smtp", subprocess.Popen(failing, start_new_session=True), command=failing)
    web = Child("web", subprocess.Popen(_sleeper(), start_new_session=True), command=_sleeper())
    thread, stop, result = _supervising([broken, web], Restarts(first_pause=0.01, max_pause=0.05, give_up=4))
    thread.join(timeout=60)
    stop.set()
    _stop([broken, web])
    assert result == {"status": 1}


def test_the_embedded_redis_that_dies_is_started_again_with_its_data(tmp_path):
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    from triage.runtime import queues
    from triage.runtime.up import Child, Restarts, _stop

    redis = Child("redis", queues.start_embedded_redis(tmp_path), command=queues.embedded_redis_command(tmp_path))
    client = Redis(unix_socket_path=str(tmp_path / "redis.sock"), socket_connect_timeout=1)
    client.set("queued", "job-1")
    client.save()  # what its periodic snapshot does
    first = redis.process.pid
    thread, stop, _ = _supervising([redis], Restarts(first_pause=0.1))
    try:
        os.kill(first, signal.SIGKILL)
        deadline, value = time.monotonic() + 30, None
        while time.monotonic() < deadline and value is None:
            try:
                value = client.get("queued") if redis.process.pid != first else None
            except RedisConnectionError:  # while it starts again
                pass
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
        _stop([redis])
    assert redis.process.pid != first
    assert value == b"job-1"
