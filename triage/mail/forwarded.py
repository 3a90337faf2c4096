"""Unwrap forwarded mail: inline forwards of every major client, and attached message/rfc822."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from triage.mail import forwarded_headers as words
from triage.mail import quote_headers as qh
from triage.mail.addresses import Mailbox, parse_mailbox, parse_mailboxes
from triage.mail.threading import decode_subject, strip_prefixes, subject_kind

if TYPE_CHECKING:
    from triage.mail.message import ParsedMail


@dataclass(frozen=True)
class Forward:
    """One forwarded message: who wrote it, when, about what, its body, and the forwarder's note."""

    sender: Mailbox
    date: str | None
    subject: str | None
    to: tuple[Mailbox, ...]
    cc: tuple[Mailbox, ...]
    body: str
    note: str | None
    headers: dict[str, str] = field(default_factory=dict)  # raw header values as printed
    kind: str = "inline"  # "inline" or "attachment"


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")


def unwrap_text(body: str, subject: str | None = None) -> Forward | None:
    """Return the outermost forward found in a plain-text body, or None if it is not a forward.

    A subject marked as a reply ("Re:") means not a forward; "On … wrote:" only counts as a
    forward when the subject says "Fwd:" (Outlook desktop forwards look like replies otherwise).
    """
    kind = subject_kind(decode_subject(subject)) if subject is not None else None
    if kind == "reply":
        return None
    lines = _normalise(body).split("\n")
    for i, line in enumerate(lines):
        found = _forward_at(lines, i, line, wrote_counts=(kind == "forward"))
        if found is not None:
            fields, body_start, quoted, marker_start = found
            return _build(lines, fields, body_start, quoted, marker_start, subject)
    return None


def _forward_at(lines: list[str], i: int, line: str, *, wrote_counts: bool):
    """Return (fields, body start, quoted, note end) when a forward begins at line i."""
    if not line.strip():
        return None
    sep = words.FORWARD_SEPARATOR.match(line) if "-" in line else None
    if sep or (qh.ends_with_colon(line) and words.FORWARD_INTRO.match(line)):
        quoted = qh.quote_depth(line) > 0
        rest = line[sep.end() :] if sep else ""
        if rest.strip():
            return qh.inline_headers(rest), i + 1, quoted, i
        j = _skip_blank(lines, i + 1)
        block = qh.header_block(lines, j, gaps=True) if j < len(lines) else None
        if block is None:
            return {}, j, quoted, i
        return block.fields, block.end, quoted or block.quoted, i
    if words.RULE_LINE.match(line):
        j = _skip_blank(lines, i + 1, limit=2)
        block = qh.header_block(lines, j) if j < len(lines) else None
        if block and _is_message_header(block):
            return block.fields, block.end, block.quoted, i
        return None
    parsed = qh.header_line(line)
    if parsed and parsed[0] == "from":
        block = qh.header_block(lines, i)
        if block and _is_message_header(block):
            return block.fields, block.end, block.quoted, i
        return None
    if wrote_counts:
        wrote = qh.wrote_line(lines, i)
        if wrote:
            fields = {"from": wrote.sender_raw}
            if wrote.date:
                fields["date"] = wrote.date
            return fields, wrote.end, qh.quote_depth(line) > 0, i
    return None


def _is_message_header(block: qh.HeaderBlock) -> bool:
    """A header block that describes a message: From plus a date, subject or recipient."""
    return "from" in block.fields and len({"date", "subject", "to"} & block.fields.keys()) >= 1


def _skip_blank(lines: list[str], j: int, *, limit: int = 3) -> int:
    end = min(len(lines), j + limit)
    while j < end and qh.is_blank(lines[j]):
        j += 1
    return j


_ONE_QUOTE = re.compile(r"^[ \t]?>[ \t]?")


def _build(
    lines: list[str],
    fields: dict[str, str],
    body_start: int,
    quoted: bool,
    marker_start: int,
    outer_subject: str | None,
) -> Forward:
    body_lines = lines[body_start:]
    if quoted:
        # A quoted forward ends where the quoting ends; what follows is the forwarder's again.
        body_lines = body_lines[: _quoted_run(body_lines)]
    if quoted or _mostly_quoted(body_lines):
        body_lines = [_ONE_QUOTE.sub("", ln, count=1) for ln in body_lines]
    body_lines = [ln if ln.strip() else "" for ln in body_lines]  # nbsp-only lines are blank
    body = textwrap.dedent("\n".join(body_lines)).strip(qh._SPACE_LIKE + "\n")
    note = "\n".join(lines[:marker_start]).strip(qh._SPACE_LIKE + "\n") or None
    subject = fields.get("subject")
    if not subject and outer_subject:
        subject = strip_prefixes(decode_subject(outer_subject)) or None
    return Forward(
        sender=parse_mailbox(fields.get("from")),
        date=fields.get("date") or None,
        subject=subject or None,
        to=tuple(parse_mailboxes(fields.get("to"))),
        cc=tuple(parse_mailboxes(fields.get("cc"))),
        body=body,
        note=note,
        headers=dict(fields),
    )


def _quoted_run(body_lines: list[str]) -> int:
    """Length of the leading run of quoted (or blank, or singly wrapped) lines."""
    end = 0
    for k, line in enumerate(body_lines):
        if qh.quote_depth(line) or not line.strip():
            if qh.quote_depth(line):
                end = k + 1
            continue
        wrapped = (
            0 < k < len(body_lines) - 1 and qh.quote_depth(body_lines[k - 1]) and qh.quote_depth(body_lines[k + 1])
        )
        if not wrapped:
            break
    return end if end else len(body_lines)


def _mostly_quoted(body_lines: list[str]) -> bool:
    """Missive quotes the forwarded body but not its header block."""
    filled = [ln for ln in body_lines if ln.strip()]
    return bool(filled) and sum(1 for ln in filled if ln.lstrip().startswith(">")) * 2 > len(filled)


def unwrap_chain(body: str, subject: str | None = None, *, max_depth: int = 10) -> list[Forward]:
    """Return every nested inline forward, outermost first (empty if it is not a forward).

    Each inner level is judged with its own printed subject, so a "RE:" original keeps its
    quoted history instead of being mistaken for another forward.
    """
    chain: list[Forward] = []
    current = unwrap_text(body, subject)
    while current is not None and len(chain) < max_depth:
        chain.append(current)
        current = unwrap_text(current.body, current.subject or "")
    return chain


def unwrap_message(mail: ParsedMail, *, max_depth: int = 10) -> list[Forward]:
    """Every forward level of a parsed message, outermost first: attached message/rfc822 and inline.

    The last element is the innermost original; an empty list means the message is not a forward.
    """
    chain: list[Forward] = []
    current = mail
    while len(chain) < max_depth:
        if current.attached:
            inner = current.attached[0]
            chain.append(
                Forward(
                    sender=inner.sender,
                    date=inner.date.isoformat() if inner.date else inner.header("Date"),
                    subject=inner.subject or None,
                    to=inner.to,
                    cc=inner.cc,
                    body=inner.text.strip(),
                    note=current.text.strip() or None,
                    headers={
                        k.lower(): v for k, v in inner.headers if k.lower() in ("from", "to", "cc", "date", "subject")
                    },
                    kind="attachment",
                )
            )
            current = inner
            continue
        chain.extend(unwrap_chain(current.text, current.subject, max_depth=max_depth - len(chain)))
        break
    return chain
