"""MIME parsing: charsets, encoded words, HTML-only mail, hostile input, nesting."""

from __future__ import annotations

from email.message import EmailMessage

from hypothesis import given, settings
from hypothesis import strategies as st

from triage.mail.parse import parse


def _msg(body: bytes, ctype: str = "text/plain; charset=utf-8", extra: str = "") -> bytes:
    head = f"From: A <a@example.org>\r\nTo: b@example.org\r\nSubject: hi\r\nContent-Type: {ctype}\r\n{extra}\r\n"
    return head.encode() + body


def test_declared_charset_is_used() -> None:
    assert parse(_msg("Grüße".encode("iso-8859-1"), "text/plain; charset=iso-8859-1")).text == "Grüße"


def test_wrong_charset_falls_back_to_detection() -> None:
    mail = parse(_msg("Ďakujem za správu, ďalší krok".encode(), "text/plain; charset=us-ascii"))
    assert mail.text == "Ďakujem za správu, ďalší krok"
    assert any("CharsetMismatch" in d for d in mail.defects)


def test_unknown_charset_is_a_defect_not_an_error() -> None:
    mail = parse(_msg("café".encode(), "text/plain; charset=x-klingon"))
    assert mail.text == "café"
    assert any("UnknownCharset" in d for d in mail.defects)


def test_missing_charset_latin1_body_is_readable() -> None:
    text = "Bonjour, voilà mon CV et ma lettre de motivation pour le poste à Genève."
    assert parse(_msg(text.encode("cp1252"), "text/plain")).text == text


def test_rfc2047_subject_and_name() -> None:
    raw = (
        b"From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@example.org>\r\n"
        b"Subject: =?iso-8859-1?q?Bewerbung_f=FCr?= die Stelle\r\n\r\nhi"
    )
    mail = parse(raw)
    assert mail.subject == "Bewerbung für die Stelle"
    assert mail.sender.name == "Jürgen Müller"


def test_raw_8bit_subject_uses_body_charset() -> None:
    raw = "Subject: Réponse\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nok".encode("iso-8859-1")
    assert parse(raw).subject == "Réponse"


def test_html_only_mail_becomes_text() -> None:
    mail = parse(
        _msg(
            b"<html><body><p>Hello <b>there</b></p><div>Line two<br>Line three</div></body></html>",
            "text/html; charset=utf-8",
        )
    )
    assert mail.text == "Hello there\n\nLine two\nLine three"
    assert mail.text_from_html


def test_hostile_html_scripts_never_reach_text() -> None:
    html = (
        b"<html><head><script>steal()</script><style>p{}</style></head><body>Hi<script>alert(1)</script>"
        b"<img src=x onerror=alert(2)><!-- <script>x</script> --></body></html>"
    )
    text = parse(_msg(html, "text/html")).text
    assert text == "Hi"


def test_oversized_header_line_is_kept() -> None:
    raw = b"Subject: " + b"x" * 200_000 + b"\r\nFrom: a@example.org\r\n\r\nbody"
    mail = parse(raw)
    assert len(mail.subject) == 200_000 and mail.text == "body"


def test_attachments_are_listed() -> None:
    msg = EmailMessage()
    msg["Subject"] = "cv"
    msg.set_content("see attached")
    msg.add_attachment(b"%PDF-1.4 data", maintype="application", subtype="pdf", filename="cv.pdf")
    mail = parse(msg.as_bytes())
    assert [(a.filename, a.content_type, a.size) for a in mail.attachments] == [("cv.pdf", "application/pdf", 13)]


def test_nested_rfc822_is_parsed() -> None:
    inner = EmailMessage()
    inner["From"] = "Candidate <c@example.org>"
    inner["Subject"] = "My application"
    inner.set_content("Hello, here is my application.")
    middle = EmailMessage()
    middle["Subject"] = "Fwd: My application"
    middle.set_content("fyi")
    middle.add_attachment(inner)
    outer = EmailMessage()
    outer["Subject"] = "Fwd: Fwd: My application"
    outer.set_content("for you")
    outer.add_attachment(middle)
    mail = parse(outer.as_bytes())
    assert mail.attached[0].attached[0].sender.address == "c@example.org"
    assert mail.attached[0].attached[0].text.strip() == "Hello, here is my application."


def test_not_bytes_is_a_defect() -> None:
    assert parse("text").defects  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(raw: bytes) -> None:
    assert parse(raw).raw == raw


def test_a_date_whose_offset_python_cannot_hold_is_a_defect_not_a_crash():
    raw = b"From: a@example.org\r\nDate: 1 Jan 2024 10:00:00 +9999\r\nSubject: s\r\n\r\nbody\r\n"
    parsed = parse(raw)
    assert (parsed.date, any("InvalidDateDefect" in d for d in parsed.defects)) == (None, True)
