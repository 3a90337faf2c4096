"""An unknown sender in Review is added as an applicant in one action; their mail is then routed normally."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from tests.intake.conftest import make_raw
from triage.db import Application, AuditEvent, Channel, Lane, Message, MessageState
from triage.intake.accept import Delivery, accept_many
from triage.processing import pipeline


def _ingest(settings, database, raw: bytes) -> Message:
    [accepted] = accept_many(database, [Delivery(raw, Channel.http)], None)
    pipeline.run(database, settings, [accepted.id])
    with database.session() as s:
        return s.get(Message, accepted.id)


def test_adding_an_unknown_sender_routes_their_message_again(
    settings, database, keyword_model, make_role, client, login, make_user, csrf, db_session
):
    role = make_role("Data Analyst")
    raw = make_raw(sender="New Person <new@example.org>", body="Thank you for the interview.", date=datetime.now(UTC))
    message = _ingest(settings, database, raw)
    assert message.lane == Lane.review
    login(make_user())
    page = client.get(f"/messages/{message.id}").get_data(as_text=True)
    assert "Add as applicant" in page
    client.post(
        f"/hiring/messages/{message.id}/add-applicant",
        data={"role_id": role.id, "stage": "interviewed", "csrf_token": csrf(f"/messages/{message.id}")},
    )
    pipeline.run(database, settings, [message.id])  # what the enqueued job does
    with database.session() as s:
        routed = s.get(Message, message.id)
        app = s.scalar(select(Application).where(Application.role_id == role.id))
        audited = s.scalar(
            select(AuditEvent.action).where(
                AuditEvent.target_id == message.id, AuditEvent.action == "sender.add_applicant"
            )
        )
        assert (routed.lane, routed.state, routed.application_id, audited) == (
            Lane.fyi,
            MessageState.triaged,
            app.id,
            "sender.add_applicant",
        )


def test_a_line_manager_cannot_add_applicants(
    settings, database, keyword_model, make_role, client, login, make_user, csrf
):
    role = make_role()
    message = _ingest(settings, database, make_raw(sender="x@example.org", body="Hello", date=datetime.now(UTC)))
    login(make_user("line_manager", roles=[role]))
    reply = client.post(
        f"/hiring/messages/{message.id}/add-applicant", data={"role_id": role.id, "csrf_token": csrf("/hiring/roles")}
    )
    assert reply.status_code == 403
