"""Forwarding addresses: registered by the member, verified by a mailed link, then unwrapped like theirs."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from tests.conftest import csrf_from
from triage.db import Outbound
from triage.db.people import ForwardingAddress
from triage.outbound import delivery

PRIVATE = "rita.home@mail.example.net"


@pytest.fixture
def settings(make_settings, redis_client, sink):
    return make_settings(SMTP_URL=f"smtp://127.0.0.1:{sink.port}", TRIAGE_FROM_ADDRESS="jobs@acme.example")


@pytest.fixture
def rita(make_user):
    return make_user("recruiter", email="rita@example.com")


def _register(client, login, user, address: str):
    login(user)
    token = csrf_from(client.get("/account/forwarding").get_data(as_text=True))
    return client.post("/account/forwarding", data={"address": address, "csrf_token": token})


def test_the_confirmation_link_is_mailed_to_the_address_and_verifies_it(
    client, login, rita, settings, database, db_session, sink
):
    assert _register(client, login, rita, PRIVATE).status_code == 302
    row_id = db_session.scalar(select(Outbound.id).where(Outbound.to_address == PRIVATE))
    delivery.deliver(database, settings, [row_id])
    mail = message_from_bytes(sink.messages[0].original_content, policy=policy.default)
    link = re.search(r"http://[^/\s]+(/account/forwarding/confirm/\S+)", mail.get_body(("plain",)).get_content()).group(
        1
    )
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/account/forwarding").get_data(as_text=True))})
    page = client.get(link)
    with database.session() as s:
        verified = s.scalar(select(ForwardingAddress.verified_at).where(ForwardingAddress.email == PRIVATE))
    assert (mail["To"].addresses[0].addr_spec, page.status_code, verified is not None) == (PRIVATE, 200, True)


def test_a_tampered_link_is_refused_and_verifies_nothing(client, login, rita, database):
    _register(client, login, rita, PRIVATE)
    page = client.get("/account/forwarding/confirm/eyJpZCI6MX0.forged.signature")
    with database.session() as s:
        verified = s.scalar(select(ForwardingAddress.verified_at).where(ForwardingAddress.email == PRIVATE))
    assert (page.status_code, verified) == (400, None)


def test_another_members_address_cannot_be_registered(client, login, rita, make_user):
    other = make_user("recruiter", email="sam@example.com")
    assert _register(client, login, other, "rita@example.com").status_code == 400
