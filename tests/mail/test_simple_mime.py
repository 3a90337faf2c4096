"""The fast reader agrees with the stdlib parser on every message it accepts, and accepts everyday mail."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP, default

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.shared_fixtures import shared_fixtures_dir
from triage.mail import simple_mime
from triage.mail.parse import parse


def assert_agrees(raw: bytes) -> bool:
    """If the fast reader takes `raw`, its ParsedMail equals the stdlib path's; True if it took it."""
    if simple_mime.read(raw) is None:
        return False
    fast, full = parse(raw), parse(raw, fast=False)
    assert fast == full
    assert fast.headers == full.headers  # decoded on demand: compare them too
    return True


def _message(
    body: str,
    *,
    charset: str = "utf-8",
    cte: str = "quoted-printable",
    html: bool = False,
    attachment: str | None = None,
    subject: str = "Re: Application",
    linesep: str = "\r\n",
) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Zoë Núñez <zoe@example.com>"
    msg["To"] = "jobs@agency.example"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 3 Jun 2025 10:15:00 +0200"
    msg["Message-ID"] = "<m1@example.com>"
    msg.set_content(body, charset=charset, cte=cte)
    if html:
        msg.add_alternative(f"<html><body><p>{body}</p></body></html>", subtype="html", charset=charset, cte=cte)
    if attachment is not None:
        msg.add_attachment(b"%PDF-1.4 fake cv\n" * 20, maintype="application", subtype="pdf", filename=attachment)
    return msg.as_bytes(policy=(SMTP if linesep == "\r\n" else default).clone(linesep=linesep))


@pytest.mark.parametrize("linesep", ["\r\n", "\n"])
@pytest.mark.parametrize("cte", ["7bit", "8bit", "quoted-printable", "base64"])
@pytest.mark.parametrize("html", [False, True])
def test_everyday_mail_takes_the_fast_path_with_the_same_result(linesep, cte, html):
    body = (
        "Hi Rita,\n\nThanks for the call today. Any news?\n\nBest,\nAda\n"
        if cte == "7bit"
        else "Hej Rita,\n\nTack för samtalet idag! Några nyheter?\n\nMed vänlig hälsning,\nZoë\n"
    )
    assert assert_agrees(_message(body, cte=cte, html=html, attachment="cv.pdf", linesep=linesep))


def test_shapes_it_does_not_know_go_to_the_stdlib():
    forwarded = EmailMessage()
    forwarded["Subject"] = "Fwd: cv"
    forwarded.set_content("see attached")
    forwarded.add_attachment(EmailMessage())  # message/rfc822 inside
    deep = EmailMessage()  # mixed > related > alternative: deeper than the fast reader goes
    deep.set_content("text")
    deep.add_alternative("<p>text</p>", subtype="html")
    deep.get_payload()[1].add_related(b"GIF89a", "image", "gif", cid="<logo>")
    deep.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="cv.pdf")
    for raw in (
        forwarded.as_bytes(),
        deep.as_bytes(),
        b"From nobody Mon Jan 1 00:00:00 2024\nSubject: x\n\nbody\n",
        b"Subject: caf\xc3\xa9\n\nraw 8-bit header\n",
        b"no header at all\n",
    ):
        assert simple_mime.read(raw) is None, raw[:60]


def test_every_shared_fixture_either_agrees_or_goes_to_the_stdlib():
    taken = 0
    for path in sorted(shared_fixtures_dir().rglob("*")):
        if not path.is_file() or path.suffix in (".json", ".md"):
            continue
        raw = path.read_bytes()
        if path.suffix in (".txt", ".html") and path.parent.parent.name in ("replies", "forwarded"):
            text = raw.decode("utf-8", "replace")
            if text.lstrip().startswith("<"):
                continue
            raw = _message(text, html=len(text) % 2 == 0)
        taken += assert_agrees(raw)
    assert taken > 300  # the wrapped replies and forwards take the fast path


_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=400)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=_TEXT,
    charset=st.sampled_from(["utf-8", "iso-8859-1", "windows-1252"]),
    cte=st.sampled_from(["8bit", "quoted-printable", "base64"]),
    html=st.booleans(),
    attachment=st.one_of(st.none(), st.sampled_from(["cv.pdf", "My CV (final).pdf", "résumé.pdf"])),
    subject=st.text(max_size=80),
    linesep=st.sampled_from(["\r\n", "\n"]),
)
def test_generated_messages_agree(body, charset, cte, html, attachment, subject, linesep):
    try:
        raw = _message(
            body, charset=charset, cte=cte, html=html, attachment=attachment, subject=subject, linesep=linesep
        )
    except (UnicodeError, ValueError):  # a body the charset cannot hold, a subject with line breaks
        return
    assert_agrees(raw)


_HAND_WRITTEN = [  # shapes EmailMessage does not write: preamble, epilogue, unquoted boundary, LF only
    b"From: a@b.c\r\nSubject: hi\r\nContent-Type: multipart/alternative; boundary=XyZ\r\n\r\npreamble\r\n"
    b"--XyZ\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n"
    b"\r\ncaf=E9 ok\r\n\r\n--XyZ\r\nContent-Type: text/html\r\n\r\n<p>caf&eacute;</p>\r\n--XyZ--\r\nepilogue\r\n",
    b'From: a@b.c\nTo: x@y.z\nSubject: =?utf-8?q?caf=C3=A9?=\nContent-Type: text/plain; charset="utf-8"\n'
    b"Content-Transfer-Encoding: base64\n\nSGVqIGR1LCBjYWbDqQo=\n",
]
# What breaks MIME structure most often: line ends, separators, quotes, encoded-word starts, 8-bit bytes.
_STRUCTURAL = st.sampled_from(
    [
        b"\n",
        b"\r",
        b"\r\n",
        b" ",
        b"\t",
        b":",
        b"-",
        b"--",
        b"=",
        b";",
        b'"',
        b"=?",
        b"\r\n\r\n",
        b"\n\n",
        b"*",
        b"\x00",
        b"\xe9",
    ]
)


@settings(max_examples=500, deadline=None)
@given(data=st.data())
def test_mutated_messages_agree_or_go_to_the_stdlib(data):
    bases = [
        _message("Hi,\n\nAny update on my application?\n\nThanks,\nAda\n", html=True, attachment="cv.pdf"),
        _message("Hi,\n\nwith attachment\n", attachment="my cv.pdf", linesep="\n"),
        *_HAND_WRITTEN,
    ]
    raw = bytearray(data.draw(st.sampled_from(bases)))
    for _ in range(data.draw(st.integers(1, 5))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at : at + data.draw(st.integers(0, 3))] = data.draw(st.one_of(_STRUCTURAL, st.binary(max_size=4)))
    assert_agrees(bytes(raw))


def test_the_hand_written_shapes_take_the_fast_path():
    assert all(assert_agrees(raw) for raw in _HAND_WRITTEN)


def _multipart(params: bytes, body: bytes, extra: bytes = b"") -> bytes:
    return (
        b"From: a@b.c\r\nTo: x@y.z\r\nSubject: hi\r\nContent-Type: multipart/mixed; "
        + params
        + b"\r\n"
        + extra
        + b"\r\n"
        + body
    )


_TEXT_PART = b"Content-Type: text/plain\r\n\r\n"


# Found in review: each once gave a different result on the fast path; now each goes to the stdlib.
@pytest.mark.parametrize(
    "raw",
    [
        _multipart(
            b"boundary=X",
            b"--X\r\n" + _TEXT_PART + b"hello\r\n--X--\r\n",
            b"Content-Transfer-Encoding: quoted-printable\r\n",
        ),  # an encoded multipart is a defect
        _multipart(
            b"boundary=X", b"--X\r\n" + _TEXT_PART + b"hello\r\n--X\r\n--X--\r\n"
        ),  # close right after a delimiter
        _multipart(b'boundary="<X>"', b"--<X>\r\n" + _TEXT_PART + b"hello\r\n--<X>--\r\n"),  # unquoted twice
        _multipart(b'boundary="X "', b"--X \r\n" + _TEXT_PART + b"hello\r\n--X --\r\n"),  # trailing blank stripped
        _multipart(
            b"boundary=X",
            b"--X\r\nContent-Type: application/pdf\r\n"
            b'Content-Disposition: attachment; filename="<cv.pdf>"\r\n\r\nPDF\r\n--X--\r\n',
        ),
    ],
    ids=["encoded-multipart", "delimiters-in-a-row", "angle-boundary", "boundary-trailing-blank", "angle-filename"],
)
def test_shapes_found_in_review_agree(raw):
    assert not assert_agrees(raw)
