"""Outgoing headers are built safely: whatever a name or subject holds, the message re-parses
with exactly the headers we meant, and nothing more."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from triage.outbound import mime

BASE = dict(
    message_id="<fixed.1@acme.example>",
    from_address="jobs@acme.example",
    to_address="ada@example.org",
    body_text="Hello\n",
)

# Characters that break naive header code: line breaks of every kind, NUL, tabs, quotes,
# commas and angle brackets (address syntax), RFC 2047 look-alikes and plenty of non-ASCII.
pieces = st.one_of(
    st.sampled_from(list("\r\n\t\x00\x0b\x0c\x85\u2028\u2029\"',;:<>()[]@\\=?_ é😀名")),
    st.sampled_from(["=?utf-8?q?x?=", "Bcc: evil@x.org", "\r\nBcc: evil@x.org", "名前"]),
    st.text(max_size=8),
)
nasty = st.lists(pieces, max_size=25).map("".join)


def reparsed(draft: mime.Draft):
    """What a reader sees: the bytes smtplib would send, parsed back."""
    return message_from_bytes(mime.to_bytes(draft), policy=policy.default)


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=nasty, subject=nasty, sender=nasty)
def test_every_message_reparses_with_exactly_the_intended_headers(name, subject, sender):
    draft = mime.Draft(
        **BASE,
        to_name=name,
        subject=subject,
        from_name=sender,
        in_reply_to="<their.1@example.org>",
        references=["<a@x>", "<their.1@example.org>"],
        automatic=True,
    )
    msg = reparsed(draft)
    assert sorted(msg.keys()) == sorted(
        [
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "In-Reply-To",
            "References",
            "Auto-Submitted",
            "X-Auto-Response-Suppress",
            "MIME-Version",
            "Content-Type",
        ]
    )
    assert str(msg["Subject"]) == mime.clean_header_text(subject)
    (to,) = msg["To"].addresses
    assert (to.display_name, to.addr_spec) == (mime.clean_header_text(name, 200), "ada@example.org")
    (sent_by,) = msg["From"].addresses
    assert (sent_by.display_name, sent_by.addr_spec) == (mime.clean_header_text(sender, 200), "jobs@acme.example")
    assert msg["Message-ID"] == "<fixed.1@acme.example>"
    assert msg["References"] == "<a@x> <their.1@example.org>"
    assert not msg.defects and not msg["To"].defects and not msg["Subject"].defects


@pytest.mark.parametrize(
    "name",
    [
        "Zoë O'Neil-Gonçalves de Albuquerque",
        'José "Pepe" Núñez, Jr.',
        "山田 太郎",
        "Ada Lovelace Byron King, Countess of Lovelace (1815–1852)",
    ],
)
def test_real_names_go_out_whole(name):
    (to,) = reparsed(mime.Draft(**BASE, subject="s", to_name=name))["To"].addresses
    assert to.display_name == name


def test_a_line_break_in_a_subject_cannot_add_a_header():
    msg = reparsed(mime.Draft(**BASE, subject="Hi\r\nBcc: evil@x.org", to_name="A\nCc: b@x.org"))
    assert msg["Bcc"] is None and msg["Cc"] is None and msg["Subject"] == "Hi Bcc: evil@x.org"


def test_automatic_mail_says_auto_submitted_auto_replied():
    assert reparsed(mime.Draft(**BASE, subject="s", automatic=True))["Auto-Submitted"] == "auto-replied"


def test_personal_mail_is_not_marked_automatic():
    assert reparsed(mime.Draft(**BASE, subject="s"))["Auto-Submitted"] is None


def test_reply_threads_under_the_message_it_answers():
    msg = reparsed(mime.Draft(**BASE, subject="Re: x", in_reply_to="<q@x.org>", references=["<p@x.org>"]))
    assert (msg["In-Reply-To"], msg["References"]) == ("<q@x.org>", "<p@x.org> <q@x.org>")


def test_text_and_html_bodies_are_alternatives():
    msg = reparsed(mime.Draft(**BASE, subject="s", body_html="<p>Hi &amp; bye</p>"))
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg.get_body(("html",)).get_content().strip() == "<p>Hi &amp; bye</p>"


def test_html_made_from_text_is_escaped():
    assert "&lt;script&gt;" in mime.text_to_html("<script>alert(1)</script>")


@pytest.mark.parametrize(
    "bad", ["", "a@b@c", "a b@c.org", "x@y.org\r\nBcc: z@w.org", "Ada <a@b.org>", "a@b.org, c@d.org"]
)
def test_unusable_recipient_is_refused(bad):
    with pytest.raises(mime.BadAddress):
        mime.to_bytes(mime.Draft(**{**BASE, "to_address": bad}, subject="s"))


def test_reply_subject_adds_re_once():
    assert (mime.reply_subject("Re: Update"), mime.reply_subject("Update")) == ("Re: Update", "Re: Update")


def test_no_line_is_longer_than_smtp_allows():
    draft = mime.Draft(**{**BASE, "body_text": "x" * 5000 + "\n"}, subject="y " * 600, to_name="é" * 200)
    assert max(len(line) for line in mime.to_bytes(draft).split(b"\r\n")) <= 998


def test_long_body_lines_survive():
    draft = mime.Draft(**{**BASE, "body_text": "word " * 1000 + "\n"}, subject="s")
    text = reparsed(draft).get_body(("plain",)).get_content().replace("\r\n", "\n")  # CRLF on the wire
    assert text == "word " * 1000 + "\n"


def test_a_non_ascii_body_comes_back_exactly():
    body = "Zoë,\nwe decide on Friday — 12 December.\n"
    msg = reparsed(mime.Draft(**{**BASE, "body_text": body}, subject="s"))
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == body


def test_bare_carriage_returns_in_a_body_become_line_breaks():
    data = mime.to_bytes(mime.Draft(**{**BASE, "body_text": "one\rtwo\r\nthree\n"}, subject="s"))
    assert b"one\r\ntwo\r\nthree\r\n" in data and b"\r\r" not in data
