"""Score reply extraction side by side: triage vs email-reply-parser, mail-parser-reply, quotequail, talon.

Every tool is scored on every reply suite in ../shared/fixtures/replies with the same rule: a case
counts when it asserts the visible (new) text (`visible_text`, `visible_text_stripped`,
`visible_text_contains` / `_not_contains`, `signature`) and all of those hold. Fragment-level
assertions (email_reply_parser's per-fragment flags, mail-parser-reply's per-reply objects,
quotequail's fragment lists) are not scored here, for anyone. HTML cases compare visible text with
whitespace removed; signature cases call each tool's signature splitter where it has one.

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
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")
FIXTURES = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "fixtures"
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
    tools = {"triage": _ours, "email-reply-parser": _erp, "mail-parser-reply": _mpr,
             "quotequail": _quotequail, "talon": _talon}
    runners = {}
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
    print("SUMMARY (visible-text assertions only, same rule for every tool; Python "
          f"{sys.version.split()[0]}): " + " | ".join(summary))


if __name__ == "__main__":
    main()
