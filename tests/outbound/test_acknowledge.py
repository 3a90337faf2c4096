"""Automatic acknowledgements of held chasers: once a week, never to robots, lists or no-reply."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from triage import dates
from triage.db import AppStage, Team
from triage.db.base import utcnow
from triage.outbound import acknowledge, templates

NEXT = date.today() + timedelta(days=5)


@pytest.fixture
def chaser(db_session, make_role, make_application, make_message):
    """chaser(raw=None, email=None, **message fields) -> a held chaser for a role with a next update date."""
    role = make_role(title="Data Analyst", next_update_on=NEXT)
    templates.ensure_default_templates(db_session)

    def build(email: str | None = None, application=None, **fields):
        application = application or make_application(name="Ada Lovelace", email=email, role=role)
        return make_message(application, **fields)

    return build


def test_ack_names_the_next_update_date(db_session, settings, chaser):
    row = acknowledge.acknowledge(db_session, chaser(), settings)
    assert dates.long_day(NEXT) in row.body_text and row.kind == "ack"


def test_ack_is_automatic_and_threaded(db_session, settings, chaser):
    message = chaser(subject="Any update?")
    row = acknowledge.acknowledge(db_session, message, settings)
    assert (row.automatic, row.in_reply_to, row.subject) == (True, message.message_id, "Re: Any update?")


def test_ack_at_most_once_per_candidate_per_role_per_week(db_session, settings, chaser):
    first = chaser()
    acknowledge.acknowledge(db_session, first, settings)
    db_session.commit()
    second = chaser(application=first.application)
    assert acknowledge.acknowledge(db_session, second, settings) is None


def test_ack_again_after_a_week(db_session, settings, chaser):
    first = chaser()
    row = acknowledge.acknowledge(db_session, first, settings)
    row.created_at = utcnow() - timedelta(days=8)
    db_session.commit()
    assert acknowledge.acknowledge(db_session, chaser(application=first.application), settings) is not None


@pytest.mark.parametrize(
    "headers",
    [
        b"Auto-Submitted: auto-replied\r\n",
        b"Precedence: bulk\r\n",
        b"Precedence: list\r\n",
        b"List-Id: <jobs.lists.example.org>\r\n",
        b"List-Unsubscribe: <mailto:u@x.org>\r\n",
        b"X-Autoreply: yes\r\n",
    ],
)
def test_never_to_automatic_list_or_bulk_mail(db_session, settings, chaser, headers):
    raw = b"From: a@example.org\r\n" + headers + b"Subject: Any update?\r\n\r\nhello\r\n"
    assert acknowledge.acknowledge(db_session, chaser(raw=raw), settings) is None


@pytest.mark.parametrize("local", ["noreply", "no-reply", "do-not-reply", "mailer-daemon", "jobs-noreply"])
def test_never_to_no_reply_senders(db_session, settings, chaser, local):
    assert acknowledge.acknowledge(db_session, chaser(email=f"{local}@example.org"), settings) is None


def test_never_to_a_message_flagged_auto_reply(db_session, settings, chaser):
    assert acknowledge.acknowledge(db_session, chaser(auto_reply=True), settings) is None


def test_only_held_chasers(db_session, settings, chaser):
    assert acknowledge.acknowledge(db_session, chaser(lane="today", state="triaged", is_chaser=False), settings) is None


def test_team_can_turn_it_off(db_session, settings, chaser):
    message = chaser()
    message.role.team = Team(name="T", policy={"acknowledge_chasers": False})
    db_session.commit()
    assert acknowledge.acknowledge(db_session, message, settings) is None


def test_no_promise_without_a_date(db_session, settings, chaser):
    message = chaser()
    message.role.next_update_on = None
    db_session.commit()
    assert acknowledge.acknowledge(db_session, message, settings) is None


def test_ordinary_sender_gets_one(db_session, settings, chaser):
    raw = b"From: Ada <ada@example.org>\r\nAuto-Submitted: no\r\nSubject: Any update?\r\n\r\nhello\r\n"
    assert acknowledge.acknowledge(db_session, chaser(raw=raw), settings) is not None


@pytest.mark.parametrize("stage", ["withdrawn", "rejected", "hired"])
def test_never_to_a_candidate_no_longer_in_the_process(db_session, settings, chaser, stage):
    # "Everyone still in the process will hear from us by ..." would be a false promise.
    message = chaser()
    message.application.stage = AppStage(stage)
    db_session.commit()
    assert acknowledge.acknowledge(db_session, message, settings) is None


def test_still_to_a_candidate_in_the_process(db_session, settings, chaser):
    message = chaser()
    message.application.stage = AppStage.interviewing
    db_session.commit()
    assert acknowledge.acknowledge(db_session, message, settings) is not None
