"""email_reply_parser (GitHub, Zapier), mail-parser-reply and quotequail reply suites.

Scored at the visible-text level: each case's `visible_text` (exact, or stripped), `*_contains`,
and for mail-parser-reply the first reply's signature. Fragment-level structure (per-fragment
quoted/hidden/signature flags, per-reply objects, fragment lists) is not modelled and not scored;
cases that assert only that structure are not collected here. quotequail's quote() is compared
with split_reply(), the API that splits at any intro, forwards included.
"""
from __future__ import annotations

import pytest

from tests.mail.peer_cases import case_names, load, read_text
from triage.mail.quotes import reply_text, split_reply, strip_quotes
from triage.mail.signatures import split_signature

REFERENCE = {  # each peer on its own suite (fixtures README)
    "github-email_reply_parser": 20 / 23, "zapier-email-reply-parser": 1.0, "mail-parser-reply": 1.0,
    "quotequail": 1.0,
}


def _visible_cases(suite: str) -> list[str]:
    import json
    from tests.shared_fixtures import _DEFAULT, ENV_VAR
    import os
    from pathlib import Path

    path = Path(os.environ.get(ENV_VAR) or _DEFAULT) / "replies" / suite / "expected.json"
    if not path.is_file():
        return ["<fixtures absent>"]
    keys = ("visible_text", "visible_text_stripped", "visible_text_contains", "visible_text_not_contains")
    return sorted(n for n, e in json.loads(path.read_text(encoding="utf-8")).items()
                  if any(k in e for k in keys) or suite == "quotequail")


def _passes(suite: str, name: str) -> bool:
    expected, base = load(("replies", suite), name)
    text = read_text(base / f"{expected.get('source', name)}.txt")
    if suite == "quotequail":
        want = "".join(f["text"] for f in expected["fragments_quote_intro_line"] if f["visible"]).strip()
        return split_reply(text).top == want
    body, signature = split_signature(strip_quotes(text))
    checks = [
        "visible_text" not in expected or body == expected["visible_text"],
        "visible_text_stripped" not in expected or body.strip() == expected["visible_text_stripped"],
        all(s in body for s in expected.get("visible_text_contains", [])),
        all(s not in body for s in expected.get("visible_text_not_contains", [])),
        suite != "mail-parser-reply" or "signature" not in expected or (signature or "") == expected["signature"],
    ]
    return all(checks) and body == reply_text(text)


# mail-parser-reply keeps Outlook's "------------------------------" rule above the From: block in
# the reply; email_reply_parser's suites assert the same file (email_2_1) without it. We side with
# the latter (the rule belongs to the quoted header), so these two miss.
CONTRADICTED = {("mail-parser-reply", "email_2_1"), ("mail-parser-reply", "email_nl_1_2")}
_WHY = "contradicts email_reply_parser's expectation for the same email: the dash rule is quote header"
PARAMS = [pytest.param(s, n, marks=pytest.mark.xfail(strict=True, reason=_WHY)) if (s, n) in CONTRADICTED else (s, n)
          for s in REFERENCE for n in _visible_cases(s)]


@pytest.mark.parametrize("suite, name", PARAMS)
def test_reply_case(suite: str, name: str) -> None:
    assert _passes(suite, name)


@pytest.mark.parametrize("suite", [
    pytest.param(s, marks=pytest.mark.xfail(strict=True, reason="6/8 visible-text cases: " + _WHY))
    if s == "mail-parser-reply" else s for s in sorted(REFERENCE)])
def test_suite_rate_at_least_reference(suite: str) -> None:
    names = _visible_cases(suite)
    assert sum(_passes(suite, n) for n in names) / len(names) >= REFERENCE[suite]
