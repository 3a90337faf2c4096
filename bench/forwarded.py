"""Score forward unwrapping side by side on ../shared/fixtures/forwarded: triage vs email-forward-parser (PyPI).

Each crisp case counts when every asserted key holds (forwarded, from name/address, subject, body,
forwarder's note, date non-empty, To/Cc entries); "attached" runs the same case as the text of a
message/rfc822 attachment. quotequail's own package is scored with its unwrap() on its suite.

Comparison venv:
    python3 -m venv /work/main/.venv-compare
    /work/main/.venv-compare/bin/pip install -e /work/main email-forward-parser quotequail
Run:  /work/main/.venv-compare/bin/python bench/forwarded.py [FIXTURES_DIR]
"""

from __future__ import annotations

import json
import sys
from email.message import EmailMessage
from pathlib import Path

FIXTURES = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "fixtures"


def _crisp_ok(expected: dict, found: dict | None) -> bool:
    if (found is not None) != expected["forwarded"]:
        return False
    if found is None:
        return True
    for key in ("from_address", "from_name", "subject", "body", "message"):
        if key in expected and found.get(key) != expected[key]:
            return False
    if "body_startswith" in expected and not (found.get("body") or "").startswith(expected["body_startswith"]):
        return False
    if expected.get("date_nonempty") and not found.get("date"):
        return False
    for key in ("to", "cc"):
        for i, entry in enumerate(expected.get(key, [])):
            got = found.get(key) or []
            if i >= len(got) or any(got[i].get(f) != v for f, v in entry.items()):
                return False
    return "cc_count" not in expected or len(found.get("cc") or []) == expected["cc_count"]


def _ours(body: str, subject: str | None) -> dict | None:
    from triage.mail.forwarded import unwrap_text

    f = unwrap_text(body, subject)
    if f is None:
        return None
    return {
        "from_address": f.sender.address,
        "from_name": f.sender.name,
        "subject": f.subject,
        "body": f.body,
        "message": f.note,
        "date": f.date,
        "to": [b.as_dict() for b in f.to],
        "cc": [b.as_dict() for b in f.cc],
    }


def _ours_attached(body: str, subject: str | None) -> dict | None:
    from triage.mail.forwarded import unwrap_message
    from triage.mail.parse import parse

    inner = EmailMessage()
    inner["From"] = "two@example.org"
    inner["Subject"] = (subject or "Integer consequat non purus").strip()
    inner.set_content(body)
    outer = EmailMessage()
    outer["Subject"] = "Fwd: attached"
    outer.set_content("note")
    outer.add_attachment(inner)
    chain = unwrap_message(parse(outer.as_bytes()))
    if not chain or chain[0].kind != "attachment":
        return {"forwarded_wrong": True}
    if len(chain) < 2:
        return None
    f = chain[1]
    return {
        "from_address": f.sender.address,
        "from_name": f.sender.name,
        "subject": f.subject,
        "body": f.body,
        "message": f.note,
        "date": f.date,
        "to": [b.as_dict() for b in f.to],
        "cc": [b.as_dict() for b in f.cc],
    }


def _peer(body: str, subject: str | None) -> dict | None:
    from emailforwardparser import forward_parser

    r = (
        forward_parser.get_forwarded_metadata(body, subject)
        if subject is not None
        else forward_parser.get_forwarded_metadata(body)
    )
    if not r.forwarded:
        return None
    e = r.email

    def box(m) -> dict:
        return {"name": m.name or None, "address": m.address or None}

    # The Python port returns "" where crisp (and its tests) say null: "" is mapped to None.
    return {
        "from_address": (e.from_.address or None) if e.from_ else None,
        "from_name": (e.from_.name or None) if e.from_ else None,
        "subject": e.subject,
        "body": e.body,
        "message": r.message or None,
        "date": e.date,
        "to": [box(m) for m in e.to or []],
        "cc": [box(m) for m in e.cc or []],
    }


def main() -> None:
    base = FIXTURES / "forwarded" / "crisp-email-forward-parser"
    cases = json.loads((base / "expected.json").read_text(encoding="utf-8"))
    tools = {"triage": _ours, "triage (as attachment)": _ours_attached, "email-forward-parser": _peer}
    results = []
    for label, run in tools.items():
        ok = 0
        for name, expected in cases.items():
            body = (base / f"{name}.txt").read_bytes().decode("utf-8")
            subject = (
                (base / expected["input_subject_file"]).read_bytes().decode("utf-8")
                if "input_subject_file" in expected
                else None
            )
            try:
                ok += _crisp_ok(expected, run(body, subject))
            except Exception:
                pass
        results.append(f"{label} {ok}/{len(cases)}")
        print(f"crisp: {label} {ok}/{len(cases)}")
    print(
        "SUMMARY crisp-email-forward-parser suite, all asserted keys per case, Python "
        f"{sys.version.split()[0]}: " + " | ".join(results)
    )


if __name__ == "__main__":
    main()
