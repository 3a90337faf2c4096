"""Retention: what is due per team, the run erases exactly that (in small transactions), the daily job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from tests.intake.conftest import make_raw
from triage.db import Application, AppStage, AuditEvent, Candidate, Channel, Message, Team
from triage.db.base import utcnow
from triage.intake.accept import Delivery, accept_many
from triage.privacy import retention, tasks
from triage.privacy.cli import retention_command
from triage.processing import pipeline
from triage.runtime import queues, worker

DAY = timedelta(days=1)


@pytest.fixture
def people(settings, database, db_session, keyword_model, make_role, make_application):
    """Six candidates of two teams (6 and 12 months for closed ones), with mail dated months ago."""
    short = Team(name="Short", policy={"retention_closed_months": 6, "retention_hired_months": 24})
    long = Team(name="Long", policy={"retention_closed_months": 12})
    db_session.add_all([short, long])
    db_session.commit()
    role_short = make_role("Data Analyst", team_id=short.id)
    role_long = make_role("Backend Engineer", team_id=long.id)
    now = utcnow()
    plan = {
        "old.rejected@example.org": (role_short, "rejected", 7 * 31),
        "recent.rejected@example.org": (role_short, "rejected", 5 * 30),
        "old.withdrawn@example.org": (role_long, "withdrawn", 7 * 31),  # 12 months in this team
        "old.hired@example.org": (role_short, "hired", 25 * 31),
        "new.hired@example.org": (role_short, "hired", 60),
        "old.interviewing@example.org": (role_short, "interviewing", 25 * 31),
    }
    for email, (role, stage, age) in plan.items():
        then = now - age * DAY
        make_application(email, role, stage=stage, name=email.split("@")[0], applied_at=then, stage_changed_at=then)
        raws = [make_raw(sender=email, subject=role.title, body=f"thank you {i}", date=then) for i in range(2)]
        accepted = accept_many(database, [Delivery(r, Channel.http, received_at=then) for r in raws], None)
        pipeline.run(database, settings, [a.id for a in accepted])
    return plan


def _due(db_session) -> dict[str, str]:
    items = retention.due(db_session, utcnow())
    emails = dict(db_session.execute(select(Candidate.id, Candidate.email)).all())
    return {emails[i.candidate_id]: i.scope for i in items}


def test_due_follows_each_teams_months_and_the_stage(db_session, people):
    assert _due(db_session) == {"old.rejected@example.org": "person", "old.hired@example.org": "mail"}


def test_the_run_erases_what_is_due_and_nothing_else(db_session, database, settings, people):
    counts = retention.run(database, settings, utcnow())
    db_session.expire_all()
    emails = set(db_session.scalars(select(Candidate.email)))
    hired_mail = db_session.scalars(
        select(Message.id)
        .join(Candidate, Candidate.id == Message.candidate_id)
        .where(Candidate.email == "old.hired@example.org")
    ).all()
    assert (counts["candidates_erased"], counts["hired_mail_erased"], counts["messages"]) == (1, 1, 4)
    assert "old.rejected@example.org" not in emails and "old.hired@example.org" in emails and hired_mail == []


def test_a_hired_candidates_application_stays(db_session, database, settings, people):
    retention.run(database, settings, utcnow())
    stage = db_session.scalar(
        select(Application.stage).join(Candidate).where(Candidate.email == "old.hired@example.org")
    )
    assert stage == AppStage.hired


def test_a_second_run_finds_nothing(db_session, database, settings, people):
    retention.run(database, settings, utcnow())
    assert retention.run(database, settings, utcnow())["messages"] == 0 and _due(db_session) == {}


def test_the_run_is_audited_with_its_counts(db_session, database, settings, people):
    retention.run(database, settings, utcnow())
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.run"))
    assert event.details["candidates_erased"] == 1


def test_parts_keep_each_transaction_small():
    items = [retention.Due(i, "person", utcnow(), 6, 150, 0) for i in range(10)]
    sizes = [sum(d.messages for d in part) for part in retention.parts(items)]
    assert max(sizes) <= retention.PART_MESSAGES and sum(sizes) == 1500


def test_the_preview_command_lists_what_is_due(app, people):
    result = app.test_cli_runner().invoke(retention_command, ["preview"])
    assert "old.rejected@example.org" in result.output and "mail only (hired)" in result.output
    assert "recent.rejected" not in result.output


def test_the_daily_job_runs_on_a_real_worker(db_session, settings, redis_client, people):
    queues.queue(redis_client, "default").enqueue(tasks.RUN_JOB)
    worker.build(settings, queue_names=["default"]).work(burst=True)
    assert _due(db_session) == {}


def test_scheduling_twice_schedules_one_run(redis_client):
    now = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    first, second = tasks.schedule(redis_client, now), tasks.schedule(redis_client, now)
    registry = ScheduledJobRegistry("default", connection=redis_client)
    assert first == second == "retention-2026-12-08" and registry.get_job_ids() == [first]


def test_the_run_is_at_three_in_the_morning_utc():
    assert tasks.next_run(datetime(2026, 12, 7, 2, 0, tzinfo=UTC)) == datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
