"""Through the pipeline: an urgent message reaches Today (never held, never acknowledged), and a
reply that sends what we asked for is the answer we were waiting for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tests.intake.conftest import make_raw
from triage.db import Channel, Lane, Message, MessageState, Outbound
from triage.intake.accept import Delivery, accept_many
from triage.processing import pipeline

CANDIDATE = "ada@example.org"


def _ingest(settings, database, raw: bytes) -> Message:
    [accepted] = accept_many(database, [Delivery(raw, Channel.http)], None)
    pipeline.run(database, settings, [accepted.id])
    with database.session() as s:
        return s.get(Message, accepted.id)


def test_a_chaser_that_mentions_a_competing_offer_goes_to_today_unacknowledged(
    settings, database, keyword_model, make_role, make_application
):
    role = make_role("Data Analyst")
    make_application(CANDIDATE, role, interview_at=datetime.now(UTC) - timedelta(days=3))
    body = "Hi, any update on my application? I have another offer and need to give them an answer by Friday."
    m = _ingest(settings, database, make_raw(subject="Any update?", body=body))
    assert (m.intent, m.lane, m.state, m.is_chaser) == ("status_check", Lane.today, MessageState.triaged, False)
    assert m.reasons[0].startswith("mentions a competing offer with a deadline of Fri ")
    assert m.due_at is not None
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(Outbound)) == 0


def test_the_same_chaser_without_the_offer_is_held(settings, database, keyword_model, make_role, make_application):
    role = make_role("Data Analyst")
    make_application(CANDIDATE, role, interview_at=datetime.now(UTC) - timedelta(days=3))
    m = _ingest(settings, database, make_raw(subject="Any update?", body="Hi, any update on my application?"))
    assert (m.lane, m.is_chaser) == (Lane.held, True)


def test_a_thank_you_with_a_link_after_our_ask_answers_it(
    settings, database, keyword_model, make_role, make_application
):
    role = make_role("Backend Engineer")
    asked = datetime.now(UTC) - timedelta(days=2)
    make_application(CANDIDATE, role, last_update_at=asked, last_update_kind="reply", last_update_asked=True)
    body = "Thank you for the fun task! My solution: https://github.com/ada/take-home"
    m = _ingest(settings, database, make_raw(subject="Re: Take-home", body=body))
    assert m.lane == Lane.today
    assert m.reasons[0].startswith(f"answers our request of {asked.day} ")
    assert "(sends a link)" in m.reasons[0]


def test_a_thank_you_with_a_link_and_no_open_ask_stays_fyi(
    settings, database, keyword_model, make_role, make_application
):
    make_application(CANDIDATE, make_role("Backend Engineer"))
    body = "Thank you for the interview! My blog: https://ada.example/blog"
    m = _ingest(settings, database, make_raw(subject="Thanks", body=body))
    assert m.lane == Lane.fyi
