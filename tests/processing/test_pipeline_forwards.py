"""Forwards in the pipeline: registered forwarding addresses, unregistered forwarders, the candidate's date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.intake.conftest import make_raw
from triage.accounts import forwarding
from triage.db import Candidate, Channel, Lane, Message
from triage.intake.accept import Delivery, accept_many
from triage.processing import pipeline

PRIVATE = "rita.home@mail.example.net"
FORWARD = """Can you pick this up?

---------- Forwarded message ---------
From: Ada Candidate <ada@example.org>
Date: Mon, 16 Nov 2026 10:00:00 +0000
Subject: Any update?
To: Rita <rita.home@mail.example.net>

Hi Rita, is there any update on my application?
"""


@pytest.fixture
def rita(make_user):
    return make_user("recruiter", email="rita@example.com")


def _ingest(settings, database, raw: bytes) -> Message:
    [accepted] = accept_many(database, [Delivery(raw, Channel.http)], None)
    pipeline.run(database, settings, [accepted.id])
    with database.session() as s:
        return s.get(Message, accepted.id)


def test_a_forward_from_a_verified_address_is_unwrapped_as_the_members(
    settings,
    database,
    db_session,
    keyword_model,
    make_role,
    make_application,
    rita,
):
    app = make_application("ada@example.org", make_role("Data Analyst"))
    row = forwarding.register(db_session, rita, PRIVATE)
    forwarding.confirm(db_session, settings.secret_key, forwarding.confirmation_token(settings.secret_key, row))
    db_session.commit()
    m = _ingest(settings, database, make_raw(sender=f"Rita <{PRIVATE}>", subject="Fwd: Any update?", body=FORWARD))
    assert (m.original_from_address, m.forwarded_by_id, m.application_id) == ("ada@example.org", rita.id, app.id)


def test_a_forward_from_an_unregistered_address_asks_for_registration(
    settings,
    database,
    db_session,
    keyword_model,
    make_role,
    make_application,
    rita,
):
    make_application("ada@example.org", make_role("Data Analyst"))
    forwarding.register(db_session, rita, PRIVATE)  # registered, never confirmed
    db_session.commit()
    m = _ingest(settings, database, make_raw(sender=f"Rita Home <{PRIVATE}>", subject="Fwd: Any update?", body=FORWARD))
    with database.session() as s:
        named_after_rita = s.scalar(select(Candidate.id).where(Candidate.email == PRIVATE))
    assert (m.lane, m.reasons[0], m.candidate_id, named_after_rita) == (
        Lane.review,
        "looks like a forward from Rita Home? — register this address",
        None,
        None,
    )


GERMAN_FORWARD = """Kannst du das übernehmen?

Anfang der weitergeleiteten Nachricht:

Von: Ada Candidate <ada@example.org>
Datum: 2. November 2026 um 14:25:08 MEZ
An: Rita <rita@example.com>
Betreff: Any update?

Hi Rita, is there any update on my application?
"""


def test_a_forwards_localized_date_is_when_the_message_was_received(
    settings, database, keyword_model, make_role, make_application, rita
):
    make_application("ada@example.org", make_role("Data Analyst"))
    forwarded_on = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    m = _ingest(
        settings,
        database,
        make_raw(sender="Rita <rita@example.com>", subject="WG: Any update?", body=GERMAN_FORWARD, date=forwarded_on),
    )
    assert (m.sent_at, m.received_at, m.forwarded_at) == (
        datetime(2026, 11, 2, 13, 25, 8, tzinfo=UTC),
        datetime(2026, 11, 2, 13, 25, 8, tzinfo=UTC),
        m.stored_at,
    )


def test_routing_counts_from_the_candidates_date_not_the_forwards(
    settings, database, keyword_model, make_role, make_application, rita
):
    # Our update went out on 1 Nov; the candidate chased on 2 Nov (inside the 14-day window: held),
    # and Rita forwarded it three weeks later (outside the window it would wait for Feedback).
    make_application(
        "ada@example.org",
        make_role("Data Analyst"),
        applied_at=datetime(2026, 10, 1, tzinfo=UTC),
        last_update_at=datetime(2026, 11, 1, tzinfo=UTC),
        last_update_kind="batch",
    )
    [accepted] = accept_many(
        database,
        [
            Delivery(
                make_raw(sender="Rita <rita@example.com>", subject="WG: Any update?", body=GERMAN_FORWARD),
                Channel.http,
                received_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
            )
        ],
        None,
    )
    pipeline.run(database, settings, [accepted.id])
    with database.session() as s:
        m = s.get(Message, accepted.id)
    assert (m.lane, m.received_at.date()) == (Lane.held, datetime(2026, 11, 2).date())


def test_a_forward_dated_in_the_future_keeps_the_forwards_own_time(
    settings, database, keyword_model, make_role, make_application, rita
):
    make_application("ada@example.org", make_role("Data Analyst"))
    received = datetime.now(UTC).replace(microsecond=0)
    later = GERMAN_FORWARD.replace("2. November 2026", f"2. November {received.year + 1}")
    [accepted] = accept_many(
        database,
        [
            Delivery(
                make_raw(sender="Rita <rita@example.com>", subject="WG: x", body=later),
                Channel.http,
                received_at=received,
            )
        ],
        None,
    )
    pipeline.run(database, settings, [accepted.id])
    with database.session() as s:
        m = s.get(Message, accepted.id)
    assert (abs(m.received_at - received) < timedelta(seconds=1), m.forwarded_at) == (True, None)
