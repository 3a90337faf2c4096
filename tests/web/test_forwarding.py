"""Forwarding addresses: registered by the member, verified by a mailed link, then unwrapped like theirs."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from tests.conftest import csrf_from
from tests.intake import conftest as intake
from tests.intake.conftest import make_raw
from triage.db import Candidate, Channel, Lane, Message, Outbound
from triage.db.people import ForwardingAddress
from triage.intake.accept import Delivery, accept_many
from triage.outbound import delivery
from triage.processing import pipeline
from triage.runtime import worker

keyword_model = intake.keyword_model  # the intake tests' stand-in classifier reads the forwards here

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


def _forward_from_private(database, settings) -> int:
    """Rita forwards Ada's chaser from her private address; stored, then read by the pipeline."""
    body = (
        "Can you pick this up?\n\n---------- Forwarded message ---------\n"
        "From: Ada Candidate <ada@example.org>\nDate: Mon, 16 Nov 2026 10:00:00 +0000\nSubject: Any update?\n\n"
        "Hi Rita, is there any update on my application?\n"
    )
    [accepted] = accept_many(
        database,
        [Delivery(make_raw(sender=f"Rita Home <{PRIVATE}>", subject="Fwd: Any update?", body=body), Channel.http)],
        None,
    )
    pipeline.run(database, settings, [accepted.id])
    return accepted.id


def _link(client, login, rita, database, settings, sink) -> str:
    """Register the address as Rita and deliver the confirmation; the link's path, from the sink."""
    _register(client, login, rita, PRIVATE)
    with database.session() as s:
        row_id = s.scalar(select(Outbound.id).where(Outbound.to_address == PRIVATE))
    delivery.deliver(database, settings, [row_id])
    mail = message_from_bytes(sink.messages[-1].original_content, policy=policy.default)
    return re.search(r"http://[^/\s]+(/account/forwarding/confirm/\S+)", mail.get_body(("plain",)).get_content()).group(
        1
    )


def test_confirming_the_address_reads_its_waiting_forward_again(
    client, login, rita, settings, database, db_session, sink, make_role, make_application, keyword_model, redis_client
):
    ada = Candidate(email="ada@example.org", name="Ada Candidate")
    db_session.add(ada)
    db_session.commit()
    make_application(make_role("Data Analyst"), ada)
    message_id = _forward_from_private(database, settings)
    page = client.get(_link(client, login, rita, database, settings, sink)).get_data(as_text=True)
    worker.build(settings).work(burst=True)  # the pipeline job the confirmation enqueued
    with database.session() as s:
        message = s.get(Message, message_id)
        seen = (message.lane != Lane.review, message.forwarded_by_id, message.original_from_address)
    assert ("1 message forwarded from it before is being read again" in page, seen) == (
        True,
        (True, rita.id, "ada@example.org"),
    )


def test_a_review_forward_links_to_registering_its_address_filled_in(
    client, login, rita, settings, database, keyword_model
):
    message_id = _forward_from_private(database, settings)
    login(rita)
    page = client.get(f"/messages/{message_id}").get_data(as_text=True)
    link = re.search(r'id="register-forward">.*?href="([^"]+)"', page, re.S).group(1).replace("&amp;", "&")
    form = client.get(link).get_data(as_text=True)
    assert f'value="{PRIVATE}"' in form


def test_a_link_opened_again_reads_nothing_again(client, login, rita, settings, database, sink, keyword_model):
    _forward_from_private(database, settings)
    link = _link(client, login, rita, database, settings, sink)
    first, second = client.get(link).get_data(as_text=True), client.get(link).get_data(as_text=True)
    assert ("being read again" in first, "being read again" in second) == (True, False)
