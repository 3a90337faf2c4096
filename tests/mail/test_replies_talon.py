"""talon's own suite: quote removal (plain, .eml, HTML) and signature splitting.

HTML cases assert talon's output HTML; we produce text, so the expected HTML is converted to text
and compared with whitespace removed (the peer's own comparison also ignores whitespace).
"""

from __future__ import annotations

import email
import email.policy
import re

import pytest

from tests.mail.peer_cases import case_names, load, read_text
from triage.mail.html import html_to_text
from triage.mail.html_quotes import html_reply_text
from triage.mail.quotes import strip_quotes
from triage.mail.signatures import split_signature

SUITE = ("replies", "talon")
# talon 1.4.4 scores 122/124 on Python 3.7 with scikit-learn 0.21, but 90/124 with the scikit-learn
# this project runs (its signature classifier no longer loads); we are 121/124: one short of its best.
REFERENCE_HERE = 90
# Known misses, with the reason; strict so a fix shows up.
EXPECTED_FAILURES = {
    "sig_ml_message_shorter_SIGNATURE_MAX_LINES": "talon's ML extractor keeps a trailing newline before "
    "the signature ('deployed.\\n'); its brute-force extractor, asserted elsewhere, strips it: we strip",
    "sig_ml_text_line_in_signature": "same trailing-newline convention as above",
    "html_reply_separated_by_hr": "talon drops the sender's name 'Bob' sitting in the same <div> as the "
    "<hr> before the From: block; we keep text above the <hr>",
}


def _plain_part(raw: bytes) -> str:
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode("utf-8")
    return ""


def _passes(name: str) -> bool:
    expected, base = load(SUITE, name)
    path = base / expected["input_file"]
    if name.startswith("html"):
        got = html_reply_text(read_text(path))
        want = expected["visible_text"] if "visible_text" in expected else html_to_text(expected["reply_html"])
        return re.sub(r"\s", "", got) == re.sub(r"\s", "", want)
    text = _plain_part(path.read_bytes()) if name.startswith("eml_standard") else read_text(path)
    signature = None
    if name.startswith("sig_"):
        visible, signature = split_signature(text, expected.get("sender"))
    else:
        visible = strip_quotes(text)
    checks = [
        "visible_text" not in expected or visible == expected["visible_text"],
        "signature" not in expected or signature == expected["signature"],
        "visible_text_stripped" not in expected or visible.strip() == expected["visible_text_stripped"],
        "signature_stripped" not in expected or (signature or "").strip() == expected["signature_stripped"],
        not expected.get("visible_text_nonempty") or bool(visible.strip()),
        all(s not in visible for s in expected.get("visible_text_not_contains", [])),
    ]
    return all(checks)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=EXPECTED_FAILURES[n]))
        if n in EXPECTED_FAILURES
        else n
        for n in case_names(*SUITE)
    ],
)
def test_talon_case(name: str) -> None:
    assert _passes(name)


def test_talon_pass_rate() -> None:
    names = case_names(*SUITE)
    passed = sum(_passes(n) for n in names)
    assert passed == len(names) - len(EXPECTED_FAILURES)
    assert passed >= REFERENCE_HERE
