"""Confirm withdrawal: the role's own people confirm a withdrawal that unauthenticated mail proposed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import csrf_from
from triage.db import Application, AppStage, AuditEvent, Candidate, Channel, Lane, Message, MessageState
from triage.intake.accept import Delivery, accept_many

RAW = b"From: Ada <ada@example.org>\nTo: jobs@triage.localhost\nSubject: Withdrawing\n\nI withdraw my application.\n"


@pytest.fixture
def proposed(database, db_session, make_role, make_user):
    """A message that proposes a withdrawal of Ada's application to a role owned by a recruiter."""
    owner = make_user("recruiter", email="owner@example.com")
    role = make_role("Data Analyst", owner_id=owner.id)
    candidate = Candidate(email="ada@example.org", name="Ada")
    db_session.add(candidate)
    db_session.flush()
    app = Application(candidate_id=candidate.id, role_id=role.id, stage=AppStage.interviewed)
    db_session.add(app)
    db_session.commit()
    [accepted] = accept_many(database, [Delivery(RAW, Channel.smtp)], None)
    message = db_session.get(Message, accepted.id)
    message.candidate_id, message.application_id, message.role_id = candidate.id, app.id, role.id
    message.state, message.lane, message.proposal = MessageState.triaged, Lane.review, "withdraw"
    message.reasons = ["candidate withdraws — not applied: the sender is not authenticated (no DKIM signature)"]
    message.authenticity = "no DKIM signature"
    db_session.commit()
    return {"owner": owner, "role": role, "app": app, "message": message}


def _confirm(client, message_id: int, with_token: bool = True):
    page = client.get("/account/forwarding")  # any page of the session carries its token
    data = {"csrf_token": csrf_from(page.get_data(as_text=True))} if with_token else {}
    return client.post(f"/messages/{message_id}/proposal/confirm", data=data)


def _stage(database, app) -> AppStage:
    with database.session() as s:
        return s.get(Application, app.id).stage


def test_the_message_page_offers_confirm_withdrawal(client, login, proposed):
    login(proposed["owner"])
    assert "Confirm withdrawal" in client.get(f"/messages/{proposed['message'].id}").get_data(as_text=True)


def test_the_roles_owner_confirms_and_it_is_applied_and_audited(client, login, proposed, database):
    login(proposed["owner"])
    answer = _confirm(client, proposed["message"].id)
    with database.session() as s:
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "application.withdraw"))
        left = s.get(Message, proposed["message"].id).proposal
    assert (answer.status_code, _stage(database, proposed["app"]), event.user_id, left) == (
        302,
        AppStage.withdrawn,
        proposed["owner"].id,
        None,
    )


def test_a_line_manager_of_another_role_cannot_confirm(client, login, proposed, make_user, make_role, database):
    login(make_user("line_manager", email="lm@example.com", roles=[make_role("Backend Engineer")]))
    token = csrf_from(client.get("/account/forwarding").get_data(as_text=True))
    answer = client.post(f"/messages/{proposed['message'].id}/proposal/confirm", data={"csrf_token": token})
    assert (answer.status_code, _stage(database, proposed["app"])) == (404, AppStage.interviewed)


def test_a_recruiter_who_is_not_on_the_role_cannot_confirm(client, login, proposed, make_user, database):
    login(make_user("recruiter", email="someone@example.com"))
    assert (_confirm(client, proposed["message"].id).status_code, _stage(database, proposed["app"])) == (
        403,
        AppStage.interviewed,
    )


def test_a_line_manager_of_the_role_confirms(client, login, proposed, make_user, database):
    login(make_user("line_manager", email="lm@example.com", roles=[proposed["role"]]))
    assert (_confirm(client, proposed["message"].id).status_code, _stage(database, proposed["app"])) == (
        302,
        AppStage.withdrawn,
    )


def test_confirming_without_the_csrf_token_is_refused(client, login, proposed, database):
    login(proposed["owner"])
    answer = _confirm(client, proposed["message"].id, with_token=False)
    assert (answer.status_code, _stage(database, proposed["app"])) == (400, AppStage.interviewed)
