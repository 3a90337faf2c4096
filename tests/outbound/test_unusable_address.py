"""An address no email can go to is refused where the outbox row is made: a BadInput naming it.

Its callers say so to the person (an invitation, a forwarding address), or skip it quietly (an
acknowledgement), and none of them leaves a row or an account behind.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_from
from triage.db import Outbound, User
from triage.db.people import ForwardingAddress
from triage.errors import BadInput
from triage.outbound import acknowledge, outbox, templates

# Passes the sign-up and forwarding checks (one @, a dotted domain) but needs SMTPUTF8, which we do not speak.
UNUSABLE = "zoë@example.org"


def test_new_row_refuses_it_as_bad_input_naming_the_address(settings):
    with pytest.raises(BadInput, match=f"not a single email address: '{UNUSABLE}'"):
        outbox.new_row(settings, kind="reply", to_address=UNUSABLE, to_name="Zoë", subject="Hello", body_text="Hi.")


def test_an_invitation_to_it_is_a_400_naming_it_and_makes_no_account(client, login, make_user, db_session):
    login(make_user("admin"))
    token = csrf_from(client.get("/admin/invitations").get_data(as_text=True))
    form = {"email": UNUSABLE, "name": "Zoë", "kind": "recruiter", "csrf_token": token}
    response = client.post("/admin/invitations", data=form)
    made = db_session.scalar(select(func.count()).select_from(User).where(User.email == UNUSABLE))
    assert (response.status_code, "zoë@example.org" in response.get_data(as_text=True), made) == (400, True, 0)


def test_registering_it_for_forwarding_is_a_400_naming_it_and_keeps_nothing(client, login, make_user, db_session):
    login(make_user("recruiter"))
    token = csrf_from(client.get("/account/forwarding").get_data(as_text=True))
    response = client.post("/account/forwarding", data={"address": UNUSABLE, "csrf_token": token})
    kept = db_session.scalar(select(func.count()).select_from(ForwardingAddress))
    assert (response.status_code, "zoë@example.org" in response.get_data(as_text=True), kept) == (400, True, 0)


def test_an_acknowledgement_to_it_is_skipped_quietly(
    db_session, settings, make_role, make_application, make_message, caplog
):
    """No row, and no warning: the ack's log names ids only, and an address is not a template fault."""
    role = make_role(title="Data Analyst", next_update_on=date.today() + timedelta(days=5))
    templates.ensure_default_templates(db_session)
    message = make_message(make_application(name="Zoë", email=UNUSABLE, role=role))
    with caplog.at_level(logging.INFO, logger="triage.outbound.acknowledge"):
        row = acknowledge.acknowledge(db_session, message, settings)
    warned = [r for r in caplog.records if r.levelno >= logging.WARNING]
    rows = db_session.scalar(select(func.count()).select_from(Outbound))
    assert (row, warned, rows) == (None, [], 0)
