"""Forwarding addresses in real Chromium: a team member registers another address, the confirmation
mail reaches the SMTP sink, its link is opened in a browser and the address is confirmed; forwards
from it are then unwrapped (the candidate, not the member, is the sender), while a forward from an
address nobody registered waits in Review asking for it to be registered. Also at phone width."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from tests.intake import conftest as intake
from tests.intake.conftest import make_raw
from tests.web import test_browser, test_phone
from triage.db import Candidate, Channel, Lane, Message
from triage.intake.accept import Delivery, accept
from triage.runtime import queues, worker

pytestmark = pytest.mark.browser
expect = test_browser.expect
chromium, browse = test_browser.chromium, test_browser.browse  # the suite's Chromium fixtures, shared
keyword_model = intake.keyword_model  # the intake tests' stand-in classifier reads the forwards here

PRIVATE = "rita.home@mail.example.net"
STRANGER = "sam.home@mail.example.net"
FORWARD = """Can you pick this up?

---------- Forwarded message ---------
From: Ada Candidate <ada@example.org>
Date: Mon, 16 Nov 2026 10:00:00 +0000
Subject: Any update?
To: Rita <{to}>

Hi Rita, is there any update on my application?
"""


@pytest.fixture
def settings(make_settings, redis_client, sink):
    """The suite's settings, sending to this test's sink."""
    return make_settings(SMTP_URL=f"smtp://127.0.0.1:{sink.port}", TRIAGE_FROM_ADDRESS="jobs@acme.example")


@pytest.fixture
def rita(make_user, db_session):
    user = make_user("recruiter", email="rita@example.com")
    user.name = "Rita Shah"
    db_session.commit()
    return user


@pytest.fixture
def ada(make_role, make_application, make_candidate):
    """Ada has applied for the Data Analyst role: her forwarded mail has an application to land on."""
    return make_application(make_role("Data Analyst"), make_candidate("Ada Candidate", email="ada@example.org"))


def _forwarded_from(database, settings, sender: str) -> int:
    """A forward arrives (stored and enqueued as intake does) and a real worker runs every job."""
    address = re.search(r"<(.+)>", sender).group(1)
    raw = make_raw(sender=sender, subject="Fwd: Any update?", body=FORWARD.format(to=address))
    accepted = accept(database, Delivery(raw, Channel.http), queues.connect(settings))
    worker.build(settings).work(burst=True)
    return accepted.id


def _register(page, address: str, origin: str | None = None) -> None:
    """Ask for the link: on the forwarding page at `origin` with the address typed, else as filled in."""
    if origin is not None:
        page.goto(origin + "/account/forwarding")
        page.get_by_label("Add an address you forward from").fill(address)
    page.get_by_role("button", name="Send confirmation link").click()
    expect(page.locator("body")).to_contain_text(f"We sent a confirmation link to {address}")


def _link_from_the_sink(settings, sink, address: str) -> str:
    """The worker delivers the confirmation; its link, read from the mail that reached the sink."""
    worker.build(settings).work(burst=True)
    [envelope] = [m for m in sink.messages if m.rcpt_tos == [address]]
    text = message_from_bytes(envelope.original_content, policy=policy.default).get_body(("plain",)).get_content()
    return re.search(r"http://\S+/account/forwarding/confirm/\S+", text).group(0)


def _open_elsewhere(chromium, link: str):
    """Open the link as on another device: a browser with nobody logged in."""
    context = chromium.new_context()
    page = context.new_page()
    page.goto(link)
    return context, page


def _status(page, address: str):
    return page.locator("table.forwarding tr", has_text=address).locator("td").nth(1)


def _candidates_named_after(db_session, *addresses) -> list[str]:
    db_session.expire_all()
    return list(db_session.scalars(select(Candidate.email).where(Candidate.email.in_(addresses))))


def test_the_mailed_link_confirms_the_address(browse, chromium, rita, settings, sink):
    page, watch = browse(rita)
    _register(page, PRIVATE, watch.origin)
    expect(_status(page, PRIVATE)).to_have_text("waiting for the link to be opened")
    context, elsewhere = _open_elsewhere(chromium, _link_from_the_sink(settings, sink, PRIVATE))
    expect(elsewhere.locator("h1")).to_have_text("Forwarding address confirmed")
    context.close()
    page.reload()
    expect(_status(page, PRIVATE)).to_have_text("confirmed")
    assert watch.console == []


def test_a_forward_from_the_confirmed_address_is_unwrapped(
    browse, chromium, rita, ada, settings, sink, database, db_session, keyword_model
):
    page, watch = browse(rita)
    _register(page, PRIVATE, watch.origin)
    context, _ = _open_elsewhere(chromium, _link_from_the_sink(settings, sink, PRIVATE))
    context.close()
    message_id = _forwarded_from(database, settings, f"Rita Home <{PRIVATE}>")
    page.goto(f"{watch.origin}/messages/{message_id}")
    expect(page.locator("#forwarded-by")).to_have_text("Rita Shah")
    expect(page.locator(".message-head .meta").first).to_contain_text("From Ada Candidate <ada@example.org>")
    expect(page.locator("#forward-note")).to_contain_text("Can you pick this up?")
    assert _candidates_named_after(db_session, PRIVATE) == []


def test_a_forward_from_an_unregistered_address_waits_in_review_asking_to_register_it(
    browse, rita, ada, settings, database, db_session, keyword_model
):
    message_id = _forwarded_from(database, settings, f"Sam Home <{STRANGER}>")
    page, watch = browse(rita)
    page.goto(f"{watch.origin}/?lane=review")
    row = page.locator("tr.msg-row", has_text="Any update?")
    expect(row).to_contain_text("looks like a forward from Sam Home? — register this address")
    page.goto(f"{watch.origin}/messages/{message_id}")
    expect(page.locator("#register-forward")).to_contain_text(f"Is {STRANGER} one of your addresses?")
    assert (db_session.get(Message, message_id).lane, _candidates_named_after(db_session, STRANGER)) == (
        Lane.review,
        [],
    )


def test_registering_the_address_from_review_reads_its_waiting_forward_again(
    browse, chromium, rita, ada, settings, sink, database, db_session, keyword_model
):
    # Rita forwarded from her private address before registering it: the forward waits in Review.
    message_id = _forwarded_from(database, settings, f"Rita Home <{PRIVATE}>")
    page, watch = browse(rita)
    page.goto(f"{watch.origin}/messages/{message_id}")
    page.get_by_role("link", name="Register it as a forwarding address").click()
    expect(page.get_by_label("Add an address you forward from")).to_have_value(PRIVATE)
    _register(page, PRIVATE)  # the address is already filled in
    context, elsewhere = _open_elsewhere(chromium, _link_from_the_sink(settings, sink, PRIVATE))
    expect(elsewhere.locator("#routed-again")).to_contain_text("1 message forwarded from it before is being read again")
    context.close()
    worker.build(settings).work(burst=True)  # the pipeline reads the forward again
    page.goto(f"{watch.origin}/messages/{message_id}")
    expect(page.locator("#forwarded-by")).to_have_text("Rita Shah")
    db_session.expire_all()
    assert (db_session.get(Message, message_id).application_id, _candidates_named_after(db_session, PRIVATE)) == (
        ada.id,
        [],
    )


def test_the_forwarding_page_fits_a_phone(browse, chromium, rita, settings, sink):
    page, watch = browse(rita, viewport=test_phone.PHONE)
    _register(page, "rita.with.a.rather.long.private.address@mail.example.net", watch.origin)
    test_phone.shot(page, "phone-forwarding")
    overflow = page.evaluate(test_phone.OVERFLOW)
    assert overflow == [], overflow
    page.get_by_role("button", name="Send confirmation link").scroll_into_view_if_needed()
    assert test_phone.on_screen(page, page.get_by_role("button", name="Send confirmation link"))
    assert test_phone.on_screen(page, page.get_by_label("Add an address you forward from"))
    assert watch.console == []
