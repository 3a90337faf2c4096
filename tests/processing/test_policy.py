"""TeamPolicy: a team's stored settings, read once into one frozen dataclass, and used everywhere."""

from __future__ import annotations

import logging
from dataclasses import fields
from datetime import UTC, datetime, timedelta

import pytest

from tests.intake.conftest import make_raw
from triage.db import Channel, Lane, Message, MessageState, Team
from triage.demo import people
from triage.inbox import operations
from triage.intake.accept import Delivery, accept_many
from triage.processing import pipeline
from triage.processing.policy import TeamPolicy

DAY, HOUR = timedelta(days=1), timedelta(hours=1)
NOW = datetime(2025, 11, 19, 9, 0, tzinfo=UTC)

EVERY_KEY = [
    ("waiting_window_days", 3, "waiting_window", 3 * DAY),
    ("chaser_window_days", 2.5, "chaser_window", timedelta(days=2.5)),
    ("today_due_hours", 4, "today_due", 4 * HOUR),
    ("confidence_threshold", 0.7, "confidence_threshold", 0.7),
    ("acknowledge_chasers", False, "acknowledge_chasers", False),
    ("acknowledge_once_per_days", 10, "acknowledge_once_per", 10 * DAY),
    ("acknowledge_max_age_days", 1, "acknowledge_max_age", DAY),
    ("batch_every_days", 14, "batch_every", 14 * DAY),
    ("undo_send_seconds", 0, "undo_send_seconds", 0),
    ("retention_closed_months", "3", "retention_closed_months", 3),
    ("retention_hired_months", 36, "retention_hired_months", 36),
    ("privacy_notice_url", " https://acme.example/privacy ", "privacy_notice_url", "https://acme.example/privacy"),
]

BAD_VALUES = [
    ("undo_send_seconds", 301),
    ("undo_send_seconds", 2.5),
    ("retention_closed_months", 0),
    ("privacy_notice_url", "javascript:alert(1)"),
    ("waiting_window_days", 0),
    ("chaser_window_days", -1),
    ("today_due_hours", "soon"),
    ("today_due_hours", float("nan")),
    ("confidence_threshold", 1.5),
    ("acknowledge_chasers", "no"),
    ("acknowledge_once_per_days", None),
    ("batch_every_days", 2.5),
    ("batch_every_days", True),
]


def test_defaults():
    assert TeamPolicy.from_json(None) == TeamPolicy(
        waiting_window=14 * DAY,
        chaser_window=14 * DAY,
        today_due=24 * HOUR,
        confidence_threshold=0.5,
        acknowledge_chasers=True,
        acknowledge_once_per=7 * DAY,
        acknowledge_max_age=2 * DAY,
        batch_every=7 * DAY,
    )


def test_an_empty_policy_takes_the_models_threshold():
    assert TeamPolicy.from_json({}, default_threshold=0.62).confidence_threshold == 0.62


def test_every_field_has_a_key():
    assert {name for _, _, name, _ in EVERY_KEY} == {f.name for f in fields(TeamPolicy)}


@pytest.mark.parametrize("key, value, name, expected", EVERY_KEY, ids=[k[0] for k in EVERY_KEY])
def test_every_key_is_read(key, value, name, expected):
    assert getattr(TeamPolicy.from_json({key: value}, 0.5), name) == expected


def test_numbers_written_as_text_are_read():
    assert TeamPolicy.from_json({"waiting_window_days": "10"}).waiting_window == 10 * DAY


def test_batch_cadence_in_days():
    assert TeamPolicy.from_json({"batch_every_days": 3}).batch_every_days == 3


@pytest.mark.parametrize("key, value", BAD_VALUES, ids=[f"{k}={v!r}" for k, v in BAD_VALUES])
def test_a_bad_value_falls_back_to_the_default_with_a_warning_naming_the_key(key, value, caplog):
    with caplog.at_level(logging.WARNING, logger="triage.processing.policy"):
        policy = TeamPolicy.from_json({key: value})
    assert (policy, [r.levelname for r in caplog.records], key in caplog.text) == (TeamPolicy(), ["WARNING"], True)


def test_a_bad_value_leaves_the_other_keys_read(caplog):
    with caplog.at_level(logging.WARNING, logger="triage.processing.policy"):
        policy = TeamPolicy.from_json({"waiting_window_days": "two weeks", "today_due_hours": 6})
    assert policy == TeamPolicy(today_due=6 * HOUR)


def test_an_unknown_key_is_ignored_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="triage.processing.policy"):
        policy = TeamPolicy.from_json({"waiting_days": 3})
    assert (policy, "'waiting_days'" in caplog.text) == (TeamPolicy(), True)


def test_a_policy_that_is_not_an_object_gives_the_defaults(caplog):
    with caplog.at_level(logging.WARNING, logger="triage.processing.policy"):
        assert TeamPolicy.from_json([1, 2], 0.4) == TeamPolicy(confidence_threshold=0.4)


@pytest.mark.parametrize(
    "build, name",
    [
        (lambda: TeamPolicy(batch_every=timedelta(hours=36)), "batch_every"),
        (lambda: TeamPolicy(acknowledge_chasers="yes"), "acknowledge_chasers"),
        (lambda: TeamPolicy(acknowledge_max_age=timedelta(0)), "acknowledge_max_age"),
    ],
    ids=["partial-days", "switch-not-bool", "zero-max-age"],
)
def test_constructing_with_a_bad_value_names_the_field(build, name):
    with pytest.raises(ValueError, match=name):
        build()


def test_a_role_without_a_team_has_the_defaults(make_role):
    assert TeamPolicy.of(make_role()) == TeamPolicy()


def test_a_role_has_its_teams_policy(db_session, make_role):
    role = make_role(team=Team(name="Fast", policy={"today_due_hours": 4}))
    assert TeamPolicy.of(role).today_due == 4 * HOUR


def test_the_demo_writes_only_keys_that_are_read(caplog):
    with caplog.at_level(logging.WARNING, logger="triage.processing.policy"):
        TeamPolicy.from_json(people.POLICY)
    assert caplog.records == []


# --- the inbox: moving a message to Today starts the team's Today clock ----------------------
@pytest.fixture
def make_message(db_session):
    counter = iter(range(1, 10_000))

    def build(role=None, lane="review") -> Message:
        n = next(counter)
        raw = f"Subject: hello {n}\r\n\r\nhello\r\n".encode()
        message = Message(
            raw=raw,
            size=len(raw),
            content_hash=f"{n:064d}",
            dedupe_key=f"{n:064d}",
            channel=Channel.http,
            received_at=NOW - HOUR,
            state=MessageState.triaged,
            lane=Lane(lane),
            intent="other",
            role_id=role.id if role else None,
        )
        db_session.add(message)
        db_session.commit()
        return message

    return build


def test_moving_to_today_uses_the_teams_today_clock(db_session, make_role, make_user, make_message):
    role = make_role(team=Team(name="Fast", policy={"today_due_hours": 4}))
    message = make_message(role)
    operations.move(db_session, message, make_user(), lane="today", now=NOW)
    assert message.due_at == NOW + 4 * HOUR


def test_moving_to_today_without_a_team_uses_the_default_clock(db_session, make_user, make_message):
    message = make_message()
    operations.move(db_session, message, make_user(), lane="today", now=NOW)
    assert message.due_at == NOW + 24 * HOUR


# --- the pipeline: routing reads the team's policy ----------------------------------------------
def _route_status_check(settings, database, role, make_application) -> Message:
    make_application("ada@example.org", role, interview_at=datetime.now(UTC) - 3 * DAY)
    raw = make_raw(subject="Any update?", body="Hi, any update on my application?")
    [accepted] = accept_many(database, [Delivery(raw, Channel.http)], None)
    pipeline.run(database, settings, [accepted.id])
    with database.session() as s:
        return s.get(Message, accepted.id)


def test_the_pipeline_routes_with_the_teams_waiting_window(
    settings, database, keyword_model, make_role, make_application
):
    role = make_role(team=Team(name="Quick", policy={"waiting_window_days": 2}))
    assert _route_status_check(settings, database, role, make_application).lane == Lane.feedback


def test_the_pipeline_uses_the_default_waiting_window_without_a_team(
    settings, database, keyword_model, make_role, make_application
):
    assert _route_status_check(settings, database, make_role(), make_application).lane == Lane.held
