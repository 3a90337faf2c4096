"""The structural assertions of the reply suites, as functions any tool's output can be checked with.

Shared by tests/mail/test_reply_structure.py (triage) and bench/replies.py (triage and the peers),
so every tool is held to the same rule. Each function returns the list of failed assertions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol


class FragmentLike(Protocol):
    content: str
    quoted: bool
    signature: bool
    hidden: bool


def fragment_failures(expected: dict[str, Any], frags: Sequence[FragmentLike], visible: str) -> list[str]:
    """email_reply_parser's assertions: count, per-fragment flags and text, visible text."""
    failed: list[str] = []
    if "fragments_count" in expected and len(frags) != expected["fragments_count"]:
        failed.append(f"fragments_count {len(frags)} != {expected['fragments_count']}")
    for key, attr in (
        ("fragments_hidden", "hidden"),
        ("fragments_quoted", "quoted"),
        ("fragments_signature", "signature"),
    ):
        got = [bool(getattr(f, attr)) for f in frags]
        if key in expected and got != expected[key]:
            failed.append(f"{key} {got} != {expected[key]}")

    def content(i: str) -> str | None:
        return frags[int(i)].content if int(i) < len(frags) else None

    for i, patterns in expected.get("fragment_matches", {}).items():
        for p in patterns:
            text = content(i)
            if p.get("mode") == "re.match":  # zapier: re.match on its (stripped) Fragment.content
                ok = text is not None and re.match(p["pattern"], text.strip())
            else:  # Ruby: ^/$ always match at line boundaries
                ok = text is not None and re.search(p["pattern"], text, re.M if "m" in p["flags"] else 0)
            if not ok:
                failed.append(f"fragment {i} !~ {p['pattern']!r}")
    for i, subs in expected.get("fragment_contains", {}).items():
        failed += [f"fragment {i} lacks {s!r}" for s in subs if s not in (content(i) or "")]
    for i, want in expected.get("fragment_equals", {}).items():
        if content(i) != want:
            failed.append(f"fragment {i} != {want!r}")
    return failed + visible_failures(expected, visible)


def visible_failures(expected: dict[str, Any], visible: str) -> list[str]:
    """The visible-text assertions: exact, stripped, contains, not contains."""
    failed: list[str] = []
    if "visible_text" in expected and visible != expected["visible_text"]:
        failed.append(f"visible_text {visible[:80]!r}")
    if "visible_text_stripped" in expected and visible.strip() != expected["visible_text_stripped"]:
        failed.append(f"visible_text_stripped {visible.strip()[:80]!r}")
    failed += [f"visible lacks {s!r}" for s in expected.get("visible_text_contains", []) if s not in visible]
    failed += [f"visible has {s!r}" for s in expected.get("visible_text_not_contains", []) if s in visible]
    return failed


def reply_failures(expected: dict[str, Any], replies: Sequence[dict[str, str]]) -> list[str]:
    """mail-parser-reply's assertions; each reply as {"body", "content", "signatures", "headers"}."""
    failed: list[str] = []
    if "replies_count" in expected and len(replies) != expected["replies_count"]:
        failed.append(f"replies_count {len(replies)} != {expected['replies_count']}")
    if "latest_reply_line_count" in expected:
        # A tool's own "latest reply" text when it has one (mail-parser-reply's latest_reply), else the body.
        lines = len(replies[0].get("latest", replies[0]["body"]).splitlines()) if replies else 0
        if lines != expected["latest_reply_line_count"]:
            failed.append(f"latest reply has {lines} lines")
    for i, checks in expected.get("replies", {}).items():
        if int(i) >= len(replies):
            failed.append(f"no reply {i}")
            continue
        reply = replies[int(i)]
        for key, want in checks.items():
            attr, op = key.split("_", 1)
            value = reply[attr]
            ok = {
                "equals": lambda value, want: value == want,
                "startswith": lambda value, want: value.startswith(want),
                "contains": lambda value, want: all(w in value for w in want),
                "not_contains": lambda value, want: all(w not in value for w in want),
            }[op](value, want)
            if not ok:
                failed.append(f"reply {i} {key}: {value[:80]!r}")
    return failed
