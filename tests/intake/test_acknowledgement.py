"""A held chaser is acknowledged end to end: pipeline job → outbox row → worker → SMTP sink."""

from __future__ import annotations

import email
from datetime import UTC, date, datetime, timedelta

from tests.intake.conftest import make_raw
from triage.db import Channel
from triage.intake.accept import Delivery, accept
from triage.runtime import queues, worker


def test_a_chaser_gets_one_automatic_acknowledgement(
    make_settings, redis_client, database, keyword_model, make_role, make_application, sink
):
    settings = make_settings(SMTP_URL=f"smtp://127.0.0.1:{sink.port}")
    role = make_role("Data Analyst", next_update_on=date.today() + timedelta(days=3))
    make_application("ada@example.org", role, interview_at=datetime.now(UTC) - timedelta(days=2))
    accept(
        database,
        Delivery(make_raw(subject="Any update?", body="Hi, any update?"), Channel.http),
        queues.connect(settings),
    )
    worker.build(settings).work(burst=True)  # processes the chaser, then delivers its acknowledgement
    [envelope] = sink.messages
    sent = email.message_from_bytes(envelope.content)
    assert (envelope.rcpt_tos, sent["Auto-Submitted"]) == (["ada@example.org"], "auto-replied")
