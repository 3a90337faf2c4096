"""Score reply extraction side by side: triage vs email-reply-parser, mail-parser-reply, quotequail, talon.

Every tool is scored on every case of every reply suite in ../shared/fixtures/replies, with the
same checks (tests/mail/peer_checks.py). email_reply_parser suites: fragments (count, flags, text)
and visible text, plus the 1-second limits, timed here; triage answers with triage.mail.fragments.
mail-parser-reply: per-reply header/body/signature; triage answers with triage.mail.replies. A tool
without a fragment or per-reply model answers with one fragment/reply holding its visible text, so
structural assertions count against it. talon and quotequail suites: visible text as before (HTML
with whitespace removed; signature cases call each tool's signature splitter where it has one).

Comparison venv (peers are not project dependencies):
    python3 -m venv /work/main/.venv-compare
    /work/main/.venv-compare/bin/pip install -e /work/main email-reply-parser mail-parser-reply quotequail talon
Run:  /work/main/.venv-compare/bin/python bench/replies.py [FIXTURES_DIR]
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.mail.peer_checks import fragment_failures, reply_failures

warnings.filterwarnings("ignore")
FIXTURES = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "fixtures"
FRAGMENT_SUITES = ("github-email_reply_parser", "zapier-email-reply-parser")
REPLY_SUITE = "mail-parser-reply"
SUITES = ["github-email_reply_parser", "zapier-email-reply-parser", "mail-parser-reply", "talon", "quotequail"]


def _ours():
    from triage.mail.html_quotes import html_reply_text
    from triage.mail.quotes import split_reply, strip_quotes
    from triage.mail.signatures import split_signature

    def run(suite, name, text, expected, kind):
        if kind == "html":
            return html_reply_text(text), None
        if kind == "sig":
            return split_signature(text, expected.get("sender"))
        if suite == "talon":
            return strip_quotes(text), None
        if suite == "quotequail":  # its quote() splits at any intro, forwards included: our split_reply
            return split_reply(text).top, None
        body, signature = split_signature(strip_quotes(text))
        return body, signature if suite != "mail-parser-reply" else (signature or "")

    return run


def _erp():
    from email_reply_parser import EmailReplyParser

    def run(suite, name, text, expected, kind):
        if kind == "html":
            return None
        return EmailReplyParser.parse_reply(text), None

    return run


def _mpr():
    from mailparser_reply import EmailReplyParser

    def run(suite, name, text, expected, kind):
        if kind == "html":
            return None
        langs = [lang for lang in expected.get("languages", ["en"]) if lang != "david"] or ["en"]
        mail = EmailReplyParser(languages=langs).read(text)
        reply = mail.replies[0] if mail.replies else None
        return (reply.body if reply else text), (reply.signatures if reply else None)

    return run


def _quotequail():
    import quotequail

    def run(suite, name, text, expected, kind):
        if kind == "html":
            return None
        parts = quotequail.quote(text, quote_intro_line=True)
        return "".join(t for visible, t in parts if visible).strip(), None

    return run


def _talon():
    from talon import quotations
    from talon.signature.bruteforce import extract_signature

    def run(suite, name, text, expected, kind):
        if kind == "html":
            from triage.mail.html import html_to_text

            return html_to_text(quotations.extract_from_html(text)), None
        if kind == "sig":
            if name.startswith("sig_ml"):
                import talon
                from talon import signature

                talon.init()
                return signature.extract(text, sender=expected.get("sender"))
            return extract_signature(text)
        return quotations.extract_from_plain(text), None

    return run


class _Frag:
    """A peer's fragment, or a whole visible text standing in for a tool without fragments."""

    def __init__(self, content, quoted=False, signature=False, hidden=False):
        self.content, self.quoted, self.signature, self.hidden = content, quoted, signature, hidden


def _structure(label: str, suite: str, name: str, text: str, expected: dict) -> list[str]:
    """Failures of one tool on one email_reply_parser / mail-parser-reply case (full assertion set)."""
    if suite in FRAGMENT_SUITES:
        started = time.perf_counter()
        if label == "triage":
            from triage.mail.fragments import fragments, visible_text

            frags = fragments(text)
            visible = visible_text(frags)
        elif label == "email-reply-parser":
            from email_reply_parser import EmailReplyParser

            frags = EmailReplyParser.read(text).fragments
            visible = EmailReplyParser.parse_reply(text)
        else:
            visible = _visible_only(label, suite, name, text, expected)
            frags = [_Frag(visible)]
        elapsed = time.perf_counter() - started
        failed = fragment_failures(expected, frags, visible)
        if "max_seconds" in expected and elapsed > expected["max_seconds"]:
            failed.append(f"took {elapsed:.2f}s")
        return failed
    keep = expected.get("options", {}).get("keep_hyphen_lists", False)
    if label == "triage":
        from triage.mail.replies import split_replies

        replies = [
            {"body": r.body, "content": r.content, "signatures": r.signature, "headers": r.headers}
            for r in split_replies(text, keep_hyphen_lists=keep)
        ]
    elif label == "mail-parser-reply":
        from mailparser_reply import EmailReplyParser

        langs = expected.get("languages", ["en"])
        mail = EmailReplyParser(languages=langs).read(text) if not keep else None
        if keep:
            from mailparser_reply import EmailMessage

            mail = EmailMessage(text, languages=langs, keep_hyphen_lists=True).read()
        replies = [
            {"body": r.body, "content": r.content, "signatures": r.signatures, "headers": r.headers}
            for r in mail.replies
        ]
        if replies:
            replies[0]["latest"] = mail.latest_reply
    else:
        visible = _visible_only(label, suite, name, text, expected)
        replies = [{"body": visible, "content": text, "signatures": "", "headers": ""}]
    return reply_failures(expected, replies)


def _visible_only(label: str, suite: str, name: str, text: str, expected: dict) -> str:
    result = _RUNNERS[label](suite, name, text, expected, "text")
    return (result[0] or "") if result else ""


_RUNNERS: dict = {}


def _inputs(suite: str, name: str, expected: dict) -> tuple[str, str]:
    base = FIXTURES / "replies" / suite
    path = base / (expected.get("input_file") or f"{expected.get('source', name)}.txt")
    raw = path.read_bytes()
    if name.startswith("eml_standard"):
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        part = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
        return part.get_payload(decode=True).decode("utf-8"), "text"
    kind = "html" if path.suffix == ".html" else "sig" if name.startswith("sig_") else "text"
    return raw.decode("utf-8"), kind


def _passes(result, expected: dict, kind: str, suite: str) -> bool | None:
    """None when the case asserts nothing at the visible-text level."""
    from triage.mail.html import html_to_text

    if kind == "html":
        want = expected["visible_text"] if "visible_text" in expected else html_to_text(expected.get("reply_html", ""))
        return re.sub(r"\s", "", result[0] or "") == re.sub(r"\s", "", want)
    visible, signature = result
    checks = []
    if "visible_text" in expected and suite != "quotequail":
        checks.append(visible == expected["visible_text"])
    if suite == "quotequail":
        want = "".join(f["text"] for f in expected["fragments_quote_intro_line"] if f["visible"]).strip()
        checks.append(visible == want)
    if "visible_text_stripped" in expected:
        checks.append((visible or "").strip() == expected["visible_text_stripped"])
    checks += [s in visible for s in expected.get("visible_text_contains", [])]
    checks += [s not in visible for s in expected.get("visible_text_not_contains", [])]
    if expected.get("visible_text_nonempty"):
        checks.append(bool((visible or "").strip()))
    if "signature" in expected and suite in ("talon", "mail-parser-reply"):
        checks.append((signature or None if suite == "talon" else signature) == expected["signature"])
    if "signature_stripped" in expected:
        checks.append((signature or "").strip() == expected["signature_stripped"])
    return all(checks) if checks else None


def main() -> None:
    tools = {
        "triage": _ours,
        "email-reply-parser": _erp,
        "mail-parser-reply": _mpr,
        "quotequail": _quotequail,
        "talon": _talon,
    }
    runners = _RUNNERS
    for label, make in tools.items():
        try:
            runners[label] = make()
        except Exception as exc:
            print(f"{label}: not available ({type(exc).__name__}: {exc})")
    summary = []
    for suite in SUITES:
        cases = json.loads((FIXTURES / "replies" / suite / "expected.json").read_text(encoding="utf-8"))
        line = [f"{suite}:"]
        for label, run in runners.items():
            passed = scored = 0
            for name, expected in cases.items():
                text, kind = _inputs(suite, name, expected)
                if suite in FRAGMENT_SUITES or suite == REPLY_SUITE:
                    scored += 1
                    try:
                        passed += not _structure(label, suite, name, text, expected)
                    except Exception:
                        pass
                    continue
                try:
                    result = run(suite, name, text, expected, kind)
                except Exception:
                    result = ("", None)
                if result is None:
                    continue  # the tool has no API for this input kind (e.g. HTML)
                ok = _passes(result, expected, kind, suite)
                if ok is None:
                    continue
                scored += 1
                passed += ok
            line.append(f"{label} {passed}/{scored}")
        print("  ".join(line))
        summary.append(" ".join(line))
    print(
        "SUMMARY (all cases of each suite; structural checks for email_reply_parser and mail-parser-reply, "
        "visible text for talon and quotequail; same rule for every tool; Python "
        f"{sys.version.split()[0]}): " + " | ".join(summary)
    )


if __name__ == "__main__":
    main()
