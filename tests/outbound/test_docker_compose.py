"""The shipped docker-compose.yml: start order by health, restart policies, health checks, and the
worker probe run for real against Redis. `docker compose config` validates it where installed."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys

import pytest
import yaml

from triage import ROOT

ONE_SHOT = {"migrate"}


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def triage_services(services: dict) -> dict:
    return {name: s for name, s in services.items() if s.get("image") == "triage:latest"}


def test_every_triage_process_waits_for_healthy_postgres_and_redis(services):
    waits = {name: s.get("depends_on", {}) for name, s in triage_services(services).items()}
    assert {
        name: (d.get("postgres", {}).get("condition"), d.get("redis", {}).get("condition")) for name, d in waits.items()
    } == {name: ("service_healthy", "service_healthy") for name in waits}


def test_every_long_running_triage_process_starts_after_the_migration(services):
    waits = {name: s.get("depends_on", {}) for name, s in triage_services(services).items() if name not in ONE_SHOT}
    assert {name: d.get("migrate", {}).get("condition") for name, d in waits.items()} == {
        name: "service_completed_successfully" for name in waits
    }


def test_every_long_running_service_is_restarted(services):
    policies = {name: s.get("restart") for name, s in services.items() if name not in ONE_SHOT}
    assert {name for name, policy in policies.items() if policy not in ("unless-stopped", "always")} == set()


def test_what_others_wait_for_as_healthy_has_a_health_check(services):
    awaited = {
        dependency
        for s in services.values()
        for dependency, condition in (s.get("depends_on") or {}).items()
        if condition.get("condition") == "service_healthy"
    }
    assert awaited and {name for name in awaited if "healthcheck" not in services[name]} == set()


def test_every_service_that_listens_has_a_health_check(services):
    listening = {name for name, s in services.items() if s.get("ports")}
    assert listening and {name for name in listening if "healthcheck" not in services[name]} == set()


def test_every_worker_has_a_health_check(services):
    workers = {name for name, s in services.items() if str(s.get("command", "")).startswith("triage worker")}
    assert workers and {name for name in workers if "healthcheck" not in services[name]} == set()


def probe(services: dict, redis_url: str) -> int:
    """Run the worker's health check command here, as the container would."""
    test = services["worker"]["healthcheck"]["test"]
    assert test[:2] == ["CMD", "python"]
    env = dict(os.environ, REDIS_URL=redis_url)
    return subprocess.run([sys.executable, *test[2:]], env=env, capture_output=True, timeout=60).returncode


def test_the_worker_probe_fails_without_a_worker_of_this_host(services, redis_client, redis_url):
    assert probe(services, redis_url) == 1


def test_the_worker_probe_passes_while_a_worker_of_this_host_is_registered(services, redis_client, redis_url):
    from rq import Queue, Worker

    worker = Worker([Queue("outbox", connection=redis_client)], connection=redis_client)
    worker.register_birth()
    try:
        assert (worker.hostname, probe(services, redis_url)) == (socket.gethostname(), 0)
    finally:
        worker.register_death()


def compose_command() -> list[str] | None:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_accepts_the_file(tmp_path):
    command = compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    (tmp_path / ".env").write_text("TRIAGE_SECRET_KEY=not-used-by-config\n")  # the env file it requires
    result = subprocess.run([*command, "config", "--quiet"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stderr) == (0, "")
