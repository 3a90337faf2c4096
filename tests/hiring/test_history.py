"""Dated history: stage changes and outside contacts carry the day they happened, and routing reads them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.intake.conftest import make_raw
from triage.db import Application, AppStage, AuditEvent, Candidate, Channel, Lane, Message
from triage.errors import BadInput
from triage.hiring import history
from triage.intake.accept import Delivery, accept_many
from triage.processing import pipeline

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
EMAIL = "ada@example.org"


@pytest.fixture
def application(db_session, make_role):
    role = make_role("Data Analyst")
    app = Application(
        candidate=Candidate(email=EMAIL, name="Ada Candidate"),
        role_id=role.id,
        stage=AppStage.interviewing,
        applied_at=NOW - timedelta(days=30),
        stage_changed_at=NOW - timedelta(days=10),
    )
    db_session.add(app)
    db_session.commit()
    return app


def test_interviewed_on_a_past_day_sets_the_interview_date(db_session, application):
    history.change_stage(db_session, application, "interviewed", now=NOW, at=NOW - timedelta(days=2))
    assert (application.stage, application.interview_at) == (AppStage.interviewed, NOW - timedelta(days=2))


def test_interview_scheduled_keeps_its_future_date(db_session, application):
    when = NOW + timedelta(days=3, hours=4)
    history.change_stage(db_session, application, "interviewing", now=NOW, interview_at=when)
    assert application.interview_at == when


def test_rejected_on_a_past_day_sets_rejected_at(db_session, application):
    history.change_stage(db_session, application, "rejected", now=NOW, at=NOW - timedelta(days=4))
    assert application.rejected_at == NOW - timedelta(days=4)


def test_a_change_in_the_future_is_refused(db_session, application):
    with pytest.raises(BadInput, match="in the future"):
        history.change_stage(db_session, application, "offer", now=NOW, at=NOW + timedelta(days=1))


def test_a_change_before_the_application_is_refused(db_session, application):
    with pytest.raises(BadInput, match="before the application"):
        history.change_stage(db_session, application, "screening", now=NOW, at=NOW - timedelta(days=40))


def test_a_change_entered_out_of_order_does_not_replace_the_current_stage(db_session, application):
    history.change_stage(db_session, application, "offer", now=NOW, at=NOW - timedelta(days=1))
    history.change_stage(db_session, application, "screening", now=NOW, at=NOW - timedelta(days=20))
    assert application.stage == AppStage.offer


def test_a_stage_change_is_audited_with_its_date(db_session, application):
    history.change_stage(db_session, application, "offer", now=NOW, at=NOW - timedelta(days=1), user_id=None)
    db_session.commit()
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "application.stage"))
    assert (event.details["to_stage"], event.details["at"]) == ("offer", (NOW - timedelta(days=1)).isoformat())


def test_a_contact_with_an_ask_is_our_last_contact(db_session, application):
    history.log_contact(db_session, application, now=NOW, at=NOW - timedelta(days=1), channel="phone", asked=True)
    assert (application.last_update_at, application.last_update_kind, application.last_update_asked) == (
        NOW - timedelta(days=1),
        "contact",
        True,
    )


def test_an_older_contact_logged_late_leaves_the_last_contact(db_session, application):
    history.log_contact(db_session, application, now=NOW, at=NOW - timedelta(days=1), asked=True)
    history.log_contact(db_session, application, now=NOW, at=NOW - timedelta(days=5), asked=False)
    assert (application.last_update_at, application.last_update_asked) == (NOW - timedelta(days=1), True)


def test_the_timeline_is_newest_first(db_session, application):
    history.change_stage(db_session, application, "interviewed", now=NOW, at=NOW - timedelta(days=3))
    history.log_contact(
        db_session, application, now=NOW, at=NOW - timedelta(days=1), channel="email", note="sent brief"
    )
    texts = [e.text for e in history.timeline(db_session, application)]
    assert texts == ["email contact — sent brief", "stage: interviewed (interview 2026-12-04 10:00 UTC)"]


# --- the repro: interviewed yesterday, a status check today is a chaser -------------------------
def _ingest(settings, database, raw: bytes) -> Message:
    [accepted] = accept_many(database, [Delivery(raw, Channel.http)], None)
    pipeline.run(database, settings, [accepted.id])
    with database.session() as s:
        return s.get(Message, accepted.id)


@pytest.fixture
def repro(settings, database, keyword_model, make_role, db_session, client, login, make_user, csrf):
    role = make_role("Data Analyst")
    now = datetime.now(UTC)
    app = Application(
        candidate=Candidate(email=EMAIL, name="Ada Candidate"),
        role_id=role.id,
        stage=AppStage.interviewing,
        applied_at=now - timedelta(days=30),
    )
    db_session.add(app)
    db_session.commit()
    first = _ingest(settings, database, make_raw(body="Thank you for the interview.", date=now))
    login(make_user())
    return first, now


def _status_check(settings, database, now: datetime) -> Message:
    return _ingest(
        settings, database, make_raw(subject="Any update?", body="Hi, any update on my application?", date=now)
    )


def test_repro_interviewed_yesterday_holds_todays_status_check(settings, database, client, csrf, repro):
    first, now = repro
    yesterday = (now - timedelta(days=1)).date().isoformat()
    token = csrf(f"/messages/{first.id}")
    reply = client.post(
        f"/messages/{first.id}/stage", data={"stage": "interviewed", "on": yesterday, "csrf_token": token}
    )
    assert reply.status_code == 302
    assert _status_check(settings, database, now).lane == Lane.held


def test_repro_without_the_interview_date_the_status_check_waits_in_feedback(settings, database, repro):
    _, now = repro
    assert _status_check(settings, database, now).lane == Lane.feedback


def test_inbox_stage_refuses_a_future_date(client, csrf, repro):
    first, now = repro
    tomorrow = (now + timedelta(days=2)).date().isoformat()
    token = csrf(f"/messages/{first.id}")
    reply = client.post(f"/messages/{first.id}/stage", data={"stage": "offer", "on": tomorrow, "csrf_token": token})
    assert reply.status_code == 400 and "in the future" in reply.get_data(as_text=True)


def test_api_records_a_backdated_stage_and_a_contact(client, make_user, token_for, application):
    headers = token_for(make_user())
    client.post(
        f"/api/v1/applications/{application.id}/stage",
        json={"stage": "interviewed", "at": "2026-12-01"},
        headers=headers,
    )
    client.post(
        f"/api/v1/applications/{application.id}/contacts",
        json={"at": "2026-12-02T09:30:00Z", "channel": "phone", "asked": True},
        headers=headers,
    )
    body = client.get(f"/api/v1/applications/{application.id}", headers=headers).json
    assert (body["stage"], body["interview_at"], body["last_update_at"], body["last_update_asked"]) == (
        "interviewed",
        "2026-12-01T12:00:00+00:00",
        "2026-12-02T09:30:00+00:00",
        True,
    ) and [e["kind"] for e in body["timeline"]] == ["contact", "stage"]


def test_api_stage_names_a_bad_stage(client, make_user, token_for, application):
    reply = client.post(
        f"/api/v1/applications/{application.id}/stage", json={"stage": "promoted"}, headers=token_for(make_user())
    )
    assert reply.status_code == 400 and "'promoted' is not a stage" in reply.json["error"]
