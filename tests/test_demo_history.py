"""The demo's past is on record: every reason its data produces points at something a recruiter can see."""

from email import message_from_bytes
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select

from triage import dates
from triage.db import Application, Message, Outbound, OutboxState
from triage.demo import cli as demo
from triage.hiring import history
from triage.web.inbox import queries, thread

PER_ROLE = 12  # enough screening applicants that some were asked for something


@pytest.fixture
def triaged(settings, database, live_server):
    from triage.runtime import worker

    demo.seed(settings, 7, live_server, per_role=PER_ROLE, echo=lambda *_: None)
    worker.build(settings).work(burst=True)
    return database


def _answers(session) -> list[Message]:
    return [
        m
        for m in session.scalars(select(Message).order_by(Message.id))
        if any("answers our request of" in reason for reason in m.reasons or [])
    ]


def test_every_answer_to_our_request_has_the_request_sent_that_day(triaged):
    with triaged.session() as session:
        answers = _answers(session)
        assert answers, "the demo should have candidates answering our requests"
        for message in answers:
            application = session.get(Application, message.application_id)
            requests = [
                out
                for out in session.scalars(
                    select(Outbound).where(
                        Outbound.application_id == message.application_id,
                        Outbound.asks_for_info.is_(True),
                        Outbound.state == OutboxState.sent,
                    )
                )
                if any(f"answers our request of {dates.short_day(out.sent_at)}" in r for r in message.reasons)
            ]
            assert len(requests) == 1, message.reasons
            request = requests[0]
            assert request.thread_id == message.thread_id and request.sent_at < message.received_at
            assert request.kind == "reply" and request.subject and request.body_text.strip()
            # The recruiter sees it: in the whole conversation and both timelines (message, application).
            ours = [i for i in thread.conversation(session, message, None) if i.kind == "reply"]
            assert [(i.at, i.subject) for i in ours] == [(request.sent_at, request.subject)]
            events = [e for e in queries.timeline(session, message, None) if e.kind == "reply"]
            assert [(e.at, e.title) for e in events] == [(request.sent_at, request.subject)]
            lines = [e for e in history.timeline(session, application) if e.kind == "outbound"]
            assert [(e.at, e.text) for e in lines] == [(request.sent_at, "mail out: reply; asks for something")]


def test_demo_requests_are_the_past_and_no_sweep_sends_them(triaged):
    from datetime import timedelta

    from triage.db.base import utcnow
    from triage.outbound import outbox

    with triaged.session() as session:
        requests = list(session.scalars(select(Outbound).where(Outbound.asks_for_info.is_(True))))
        assert requests and all(r.state == OutboxState.sent and r.sent_at < utcnow() for r in requests)
    due = set(outbox.due_unclaimed(triaged, now=utcnow() + timedelta(days=365), grace=timedelta(0)))
    assert not due & {r.id for r in requests}


def test_a_candidate_mail_shows_one_time_everywhere(triaged):
    """The header and timeline show received_at, the conversation the Date: they are the same moment.

    A manager's forward arrived at its own Date (forwarded_at); the candidate's time is the original's."""
    with triaged.session() as session:
        messages = list(session.scalars(select(Message).order_by(Message.id)))
        for message in messages:
            arrived = parsedate_to_datetime(message_from_bytes(message.raw)["Date"])
            assert (message.forwarded_at or message.received_at) == arrived, message.id
            assert message.sent_at == message.received_at, message.id
        assert any(m.forwarded_at for m in messages)


def test_every_role_promises_its_next_update_on_a_working_day(triaged):
    # An acknowledgement said "everyone still in the process will hear from us by Sunday 13 December".
    from triage.db import JobRole

    with triaged.session() as session:
        days = [role.next_update_on for role in session.scalars(select(JobRole))]
    assert days and all(day.weekday() < 5 for day in days), days
