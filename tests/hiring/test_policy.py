"""Team policy on the admin page and the API: every TeamPolicy setting, validated per field, audited, applied."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.intake.conftest import make_raw
from triage.db import Application, AppStage, AuditEvent, Candidate, Channel, Lane, Message, Team
from triage.demo.people import POLICY as DEMO_POLICY
from triage.intake.accept import Delivery, accept_many
from triage.processing import pipeline, policy


def _team(db_session, name="Analytics", **stored) -> Team:
    team = Team(name=name, policy=stored)
    db_session.add(team)
    db_session.commit()
    return team


def test_the_api_lists_every_setting_of_team_policy(client, make_user, token_for, db_session):
    _team(db_session)
    body = client.get("/api/v1/team/policy", headers=token_for(make_user("admin"))).json
    assert [s["key"] for s in body["settings"]] == list(policy.to_json(policy.TeamPolicy()))


def test_the_api_saves_a_policy_and_audits_it(client, make_user, token_for, db_session):
    team = _team(db_session)
    reply = client.put(
        f"/api/v1/team/policy?team={team.id}",
        json={"waiting_window_days": 10, "acknowledge_chasers": False},
        headers=token_for(make_user("admin")),
    )
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "team.policy"))
    assert reply.json["policy"]["waiting_window_days"] == 10 and event.details["changes"]["waiting_window_days"] == {
        "before": None,
        "after": 10,
    }


def test_the_api_names_each_bad_setting_and_saves_nothing(client, make_user, token_for, db_session):
    team = _team(db_session, waiting_window_days=9)
    reply = client.put(
        "/api/v1/team/policy",
        json={"waiting_window_days": -1, "confidence_threshold": 2, "batch_every_days": 1.5, "typo_days": 3},
        headers=token_for(make_user("admin")),
    )
    db_session.refresh(team)
    assert reply.status_code == 400 and set(reply.json["errors"]) == {
        "waiting_window_days",
        "confidence_threshold",
        "batch_every_days",
        "typo_days",
    }
    assert team.policy == {"waiting_window_days": 9}


def test_only_admins_change_the_policy(client, make_user, token_for, db_session):
    _team(db_session)
    reply = client.put("/api/v1/team/policy", json={}, headers=token_for(make_user("recruiter")))
    assert reply.status_code == 403


def test_the_admin_page_shows_every_setting(client, login, make_user, db_session):
    team = _team(db_session)
    login(make_user("admin"))
    page = client.get(f"/admin/teams/{team.id}/policy").get_data(as_text=True)
    assert all(f'name="{key}"' in page for key in policy.to_json(policy.TeamPolicy()))


def test_the_admin_page_names_a_bad_field(client, login, make_user, db_session, csrf):
    team = _team(db_session)
    login(make_user("admin"))
    token = csrf(f"/admin/teams/{team.id}/policy")
    reply = client.post(
        f"/admin/teams/{team.id}/policy",
        data={"csrf_token": token, "today_due_hours": "soon", "privacy_notice_url": "ftp://x"},
    )
    page = reply.get_data(as_text=True)
    assert reply.status_code == 400 and 'id="error-today_due_hours"' in page and 'id="error-privacy_notice_url"' in page


def test_the_admin_page_saves(client, login, make_user, db_session, csrf):
    team = _team(db_session)
    login(make_user("admin"))
    token = csrf(f"/admin/teams/{team.id}/policy")
    client.post(
        f"/admin/teams/{team.id}/policy",
        data={"csrf_token": token, "waiting_window_days": "7", "acknowledge_chasers": "on", "privacy_notice_url": ""},
    )
    db_session.refresh(team)
    assert team.policy == {"waiting_window_days": 7, "acknowledge_chasers": True, "privacy_notice_url": ""}


def test_the_demo_writes_only_known_settings():
    assert policy.check(DEMO_POLICY) == DEMO_POLICY


def _status_check(settings, database) -> Message:
    raw = make_raw(subject="Any update?", body="Hi, any update on my application?", date=datetime.now(UTC))
    [accepted] = accept_many(database, [Delivery(raw, Channel.http)], None)
    pipeline.run(database, settings, [accepted.id])
    with database.session() as s:
        return s.get(Message, accepted.id)


@pytest.fixture
def interviewed(db_session, make_role):
    """An application interviewed 5 days ago, in a team with the default policy."""
    team = _team(db_session)
    role = make_role(team_id=team.id)
    now = datetime.now(UTC)
    db_session.add(
        Application(
            candidate=Candidate(email="ada@example.org", name="Ada"),
            role_id=role.id,
            stage=AppStage.interviewed,
            applied_at=now - timedelta(days=30),
            interview_at=now - timedelta(days=5),
        )
    )
    db_session.commit()
    return team


def test_with_the_default_window_a_check_five_days_after_the_interview_is_held(
    settings, database, keyword_model, interviewed
):
    assert _status_check(settings, database).lane == Lane.held


def test_a_shorter_waiting_window_applies_to_the_next_message(
    settings, database, keyword_model, interviewed, client, make_user, token_for
):
    client.put("/api/v1/team/policy", json={"waiting_window_days": 3}, headers=token_for(make_user("admin")))
    assert _status_check(settings, database).lane == Lane.feedback
