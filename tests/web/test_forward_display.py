"""A forward as the recruiter reads it: who forwarded it, their note first, the candidate's date and text."""

from __future__ import annotations

import re
from datetime import UTC, datetime

INLINE = (
    "From: Priya Shah <priya@acme.example>\r\nTo: jobs@triage.localhost\r\nSubject: Fwd: My application\r\n"
    "Date: Mon, 7 Dec 2026 09:00:00 +0000\r\nMessage-ID: <fwd1@acme.example>\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    "Can you pick this up?\r\n\r\n"
    "---------- Forwarded message ---------\r\n"
    "From: Grace Hopper <grace@example.org>\r\n"
    "Date: Mon, 26 Oct 2026 14:25:08 +0000\r\n"
    "Subject: My application\r\n"
    "To: Priya Shah <priya@acme.example>\r\n\r\n"
    "Hello, I wanted to ask about my application.\r\n"
)

ATTACHED = (
    "From: Priya Shah <priya@acme.example>\r\nTo: jobs@triage.localhost\r\nSubject: Fwd: Offer\r\n"
    "Message-ID: <fwd2@acme.example>\r\nMIME-Version: 1.0\r\n"
    'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
    "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n"
    "--b\r\nContent-Type: message/rfc822\r\n\r\n"
    "From: Alan Turing <alan@example.org>\r\nSubject: Offer\r\nDate: Tue, 27 Oct 2026 10:00:00 +0000\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    "I would like to discuss the salary in the offer.\r\n--b--\r\n"
)


def _forward(make_message, make_role, forwarder, raw: str, **fields):
    return make_message(
        role=make_role(),
        raw=raw.encode(),
        forwarded_by_id=forwarder.id,
        sent_at=datetime(2026, 10, 26, 14, 25, 8, tzinfo=UTC),
        received_at=datetime(2026, 12, 7, 9, 0, tzinfo=UTC),
        **fields,
    )


def test_a_forward_names_the_forwarder_and_shows_their_note_above_the_message(
    client, login, make_user, make_role, make_message, db_session
):
    forwarder = make_user()
    forwarder.name = "Priya Shah"
    db_session.commit()
    message = _forward(
        make_message,
        make_role,
        forwarder,
        INLINE,
        body=INLINE.split("\r\n\r\n", 1)[1],
        reply_text="Hello, I wanted to ask about my application.",
    )
    login(make_user())
    page = client.get(f"/messages/{message.id}").get_data(as_text=True)
    assert re.search(r'forwarded by <strong id="forwarded-by">Priya Shah</strong>', page)
    note, text = page.index('id="forward-note"'), page.index("Hello, I wanted to ask")
    assert note < text and "Can you pick this up?" in page[note:text]


def test_a_forward_shows_the_candidates_own_date_as_received(client, login, make_user, make_role, make_message):
    message = _forward(make_message, make_role, make_user(), INLINE)
    login(make_user())
    page = client.get(f"/messages/{message.id}").get_data(as_text=True)
    assert re.search(r'received <span id="received">26 Oct 2026 14:25 UTC</span>', page), page[:3000]


def test_an_attached_forward_shows_its_content_not_see_attached(client, login, make_user, make_role, make_message):
    message = _forward(make_message, make_role, make_user(), ATTACHED, body="See attached.", reply_text="")
    login(make_user())
    page = client.get(f"/messages/{message.id}").get_data(as_text=True)
    assert "I would like to discuss the salary in the offer." in page
