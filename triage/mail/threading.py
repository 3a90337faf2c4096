"""Threading data: Message-ID, In-Reply-To, References, and subjects without Re:/Fwd: prefixes."""

from __future__ import annotations

import email.header
import re

from triage.mail import forwarded_headers as words

_MSGID = re.compile(r"<[^<>\s]+>")
# One prefix: a word, an optional counter ("Re[2]", "RE(3)", "Re^2"), then ':' or '：'.
_PREFIX = re.compile(
    r"^\s*(?:(?P<fwd>" + words.FORWARD_PREFIX + r")|(?P<re>" + words.REPLY_PREFIX + r"))"
    r"\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*[:：]\s*",
    re.IGNORECASE,
)
# "[Fwd: subject]" as old Netscape/Thunderbird forwards wrote it.
_BRACKETED = re.compile(r"^\s*\[\s*(?:" + words.FORWARD_PREFIX + r")\s*:\s*(?P<inner>.*)\]\s*$", re.IGNORECASE)
_LIST_TAG = re.compile(r"^\s*\[[^\[\]]{1,40}\]\s*")


def decode_subject(subject: str | None) -> str:
    """Decode RFC 2047 encoded words; never raises."""
    if not subject:
        return ""
    if "=?" not in subject:
        return subject.strip()
    try:
        return str(email.header.make_header(email.header.decode_header(subject))).strip()
    except Exception:  # malformed encoded words: keep the text as written
        return subject.strip()


def subject_kind(subject: str | None) -> str | None:
    """Return "forward", "reply" or None, from the subject's first prefix."""
    if not subject:
        return None
    if _BRACKETED.match(subject):
        return "forward"
    m = _PREFIX.match(subject)
    if not m:
        return None
    return "forward" if m.group("fwd") else "reply"


def strip_prefixes(subject: str) -> str:
    """Remove every leading reply/forward prefix, repeated or bracketed ("Re: AW: [Fwd: x]" -> "x")."""
    text = subject
    for _ in range(50):  # bounded: hostile subjects can repeat prefixes thousands of times
        bracketed = _BRACKETED.match(text)
        if bracketed:
            text = bracketed.group("inner")
            continue
        m = _PREFIX.match(text)
        if not m or m.end() == 0:
            break
        text = text[m.end() :]
    return text.strip()


def normalize_subject(subject: str | None) -> str:
    """Return the subject decoded, without reply/forward prefixes or list tags, spaces collapsed."""
    text = decode_subject(subject)
    for _ in range(10):
        before = text
        text = strip_prefixes(text)
        tag = _LIST_TAG.match(text)
        if tag and _PREFIX.match(text[tag.end() :]):
            text = text[tag.end() :]
        if text == before:
            break
    return " ".join(text.split())


def message_ids(value: str | None) -> list[str]:
    """Return the <id> tokens of a Message-ID/In-Reply-To/References value, in order, deduplicated."""
    if not value:
        return []
    seen: list[str] = []
    for token in _MSGID.findall(value):
        if token not in seen:
            seen.append(token)
    if not seen and value.strip() and " " not in value.strip():
        seen.append(value.strip())  # some clients omit the angle brackets
    return seen
