"""crisp-oss/email-forward-parser's own suite: 206 inline forwards, and each again as an attachment."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from tests.mail.peer_cases import case_names, load, read_text
from triage.mail.forwarded import Forward, unwrap_message, unwrap_text
from triage.mail.parse import parse

SUITE = ("forwarded", "crisp-email-forward-parser")
CASES = case_names(*SUITE)


def _inputs(name: str) -> tuple[dict, str, str | None]:
    expected, base = load(SUITE, name)
    body = read_text(base / f"{name}.txt")
    subject = read_text(base / expected["input_subject_file"]) if "input_subject_file" in expected else None
    return expected, body, subject


def _check(expected: dict, found: Forward | None) -> None:
    assert (found is not None) == expected["forwarded"]
    if found is None:
        return
    for key, got in (
        ("from_address", found.sender.address),
        ("from_name", found.sender.name),
        ("subject", found.subject),
        ("body", found.body),
        ("message", found.note),
    ):
        if key in expected:
            assert got == expected[key], key
    if "body_startswith" in expected:
        assert found.body.startswith(expected["body_startswith"])
    if expected.get("date_nonempty"):
        assert found.date
    for key, boxes in (("to", found.to), ("cc", found.cc)):
        for index, entry in enumerate(expected.get(key, [])):
            assert index < len(boxes), f"{key}[{index}] missing"
            for field, value in entry.items():
                assert getattr(boxes[index], field) == value, f"{key}[{index}].{field}"
    if "cc_count" in expected:
        assert len(found.cc) == expected["cc_count"]


@pytest.mark.parametrize("name", CASES)
def test_inline_forward(name: str) -> None:
    expected, body, subject = _inputs(name)
    _check(expected, unwrap_text(body, subject))


def _wrapped(body: str, subject: str | None) -> bytes:
    """The crisp body as the text of a message attached (message/rfc822) to a forwarder's note."""
    inner = EmailMessage()
    inner["From"] = "Forwarder Two <two@example.org>"
    inner["To"] = "recruiter@example.org"
    inner["Subject"] = (subject or "Integer consequat non purus").strip()
    inner.set_content(body)
    outer = EmailMessage()
    outer["From"] = "Recruiter <recruiter@example.org>"
    outer["To"] = "jobs@example.org"
    outer["Subject"] = "Fwd: see attached"
    outer.set_content("Please look at this one.")
    outer.add_attachment(inner)
    return outer.as_bytes()


@pytest.mark.parametrize("name", CASES)
def test_forward_attached_as_rfc822(name: str) -> None:
    expected, body, subject = _inputs(name)
    chain = unwrap_message(parse(_wrapped(body, subject)))
    assert chain and chain[0].kind == "attachment"
    assert chain[0].sender.address == "two@example.org"
    assert chain[0].note == "Please look at this one."
    inline = chain[1] if len(chain) > 1 else None
    _check(expected, inline)
