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


@pytest.mark.slow
def test_up_serves_healthz_and_stops_on_sigint(tmp_path, database_url, redis_url):
    web, sink, smtp = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    # The embedded defaults (its own Redis) unless the suite runs against servers.
    env.update(TRIAGE_VAR_DIR=str(tmp_path / "var"), DATABASE_URL=database_url, TRIAGE_PORT=str(web),
               TRIAGE_SINK_PORT=str(sink), TRIAGE_SMTP_PORT=str(smtp))
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = redis_url
    # Its own process group, so the SIGINT below reaches the whole group as a terminal's Ctrl-C does.
    process = subprocess.Popen([sys.executable, "-m", "triage.cli", "up", "--workers", "1"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    try:
        assert wait_for(f"http://127.0.0.1:{web}/healthz", process) == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{web}/login", timeout=5) as page:
            assert b"Log in to Triage" in page.read()
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
