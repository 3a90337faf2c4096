"""`triage batch send`: from scripts and cron, with a summary at the end."""

from __future__ import annotations

from datetime import UTC, date, timedelta

import pytest

from triage.outbound.batches.cli import batch_command, parse_at

NEXT = (date.today() + timedelta(days=7)).isoformat()


@pytest.fixture
def two_roles(make_role, make_application):
    for ref in ("REQ-1", "REQ-2"):
        role = make_role(title=f"Role {ref}", reference=ref)
        for i in range(2):
            make_application(name=f"Person{i} Smith", role=role, stage="interviewed")
        make_application(name="Late Applicant", role=role, stage="applied")


def test_send_and_wait_prints_the_summary(runner, settings, sink, two_roles, start_worker):
    start_worker()  # a real `triage worker` delivers while the command waits
    result = runner.invoke(
        batch_command,
        [
            "send",
            "--role",
            "REQ-1",
            "--role",
            "REQ-2",
            "--stage",
            "interviewed",
            "--template",
            "status_update",
            "--next-update",
            NEXT,
            "--wait",
            "--timeout",
            "120",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "sent 4, failed 0, skipped 0" in result.output and len(sink.messages) == 4


def test_wait_reports_failures_with_reasons(runner, settings, sink, two_roles, start_worker):
    sink.handler.mode = "permfail"
    start_worker()
    result = runner.invoke(
        batch_command,
        ["send", "--role", "REQ-1", "--stage", "interviewed", "--next-update", NEXT, "--wait", "--timeout", "120"],
    )
    assert result.exit_code == 1 and "failed 2: 550" in result.output


def test_second_send_reports_skips_and_why(runner, settings, two_roles):
    args = ["send", "--role", "REQ-1", "--stage", "interviewed", "--next-update", NEXT]
    runner.invoke(batch_command, args)
    result = runner.invoke(batch_command, args)
    assert result.exit_code == 0 and "0 emails queued, 2 skipped" in result.output


def test_dry_run_sends_nothing(runner, settings, two_roles):
    result = runner.invoke(
        batch_command,
        ["send", "--role", "REQ-1,REQ-2", "--stage", "interviewed,applied", "--next-update", NEXT, "--dry-run"],
    )
    assert result.exit_code == 0 and "6 candidates would get an email" in result.output and "Subject: " in result.output


def test_schedule_with_at(runner, settings, two_roles):
    result = runner.invoke(
        batch_command,
        [
            "send",
            "--role",
            "REQ-1",
            "--stage",
            "interviewed",
            "--next-update",
            NEXT,
            "--at",
            (date.today() + timedelta(days=1)).isoformat() + "T09:00:00+00:00",
        ],
    )
    assert result.exit_code == 0 and "scheduled for" in result.output


def test_unknown_role_is_a_clear_error(runner, settings, two_roles):
    result = runner.invoke(
        batch_command, ["send", "--role", "REQ-404", "--stage", "interviewed", "--next-update", NEXT]
    )
    assert result.exit_code == 1 and "no role(s) REQ-404" in result.output


def test_at_accepts_a_clock_time():
    from datetime import datetime

    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert (parse_at("09:00", now).day, parse_at("11:30", now).hour) == (2, 11)


def test_registered_on_the_triage_command():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "triage.cli", "batch", "send", "--help"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and "--next-update" in result.stdout
