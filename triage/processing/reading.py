"""Raw bytes to what the pipeline stores: parse → unwrap (team forwards only) → strip (pure, no I/O).

Runs in worker processes during bulk import, so it takes plain values and returns a small,
picklable Reading.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from triage.mail import authentication, autoreply
from triage.mail.forwarded import Forward, unwrap_message
from triage.mail.html_quotes import html_reply_text
from triage.mail.message import ParsedMail
from triage.mail.parse import parse
from triage.mail.printed_dates import read_date
from triage.mail.quotes import reply_text
from triage.mail.signatures import split_signature
from triage.mail.threading import strip_prefixes

log = logging.getLogger(__name__)

# Defects that mean we could not read the message at all (not merely a sloppy one).
UNREADABLE = ("NotMimeDefect", "ParseError")


@dataclass(frozen=True)
class Reading:
    from_address: str | None = None
    from_name: str | None = None
    original_from_address: str | None = None
    original_from_name: str | None = None
    forwarded_by: str | None = None  # the team member's address, when we unwrapped a forward
    subject: str = ""  # the original's subject
    sent_at: datetime | None = None  # the original's date
    body_text: str = ""  # the whole text as received
    reply_text: str = ""  # the original's new text: quotes and signature removed
    has_html: bool = False
    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()  # To, Cc, Delivered-To, X-Original-To: for per-role addresses
    auto_reply: bool = False
    attachments: tuple[dict, ...] = ()
    defects: tuple[str, ...] = ()
    error: str | None = None  # set when the message is unreadable: it goes to Review with this
    # Who seems to have forwarded it, when someone outside the team sent what looks like a
    # forward of another person's mail (a team member's unregistered address, most likely).
    unregistered_forward: str | None = None
    # The From header's domain as DKIM alignment reads it (authentication.from_domain), so that
    # processing/authority.py need not parse the message again.
    from_domain: str | None = None


def normalize_address(address: str | None) -> str | None:
    """Lower-case an address and drop brackets and spaces; None when it is not an address."""
    if not address:
        return None
    address = clean(address.strip().strip("<>").strip().lower())
    if "@" not in address or " " in address or len(address) > 320:
        return None
    return address


def read(raw: bytes, team: frozenset[str]) -> Reading:
    """Read one message; never raises (a failure is a Reading with `error`)."""
    try:
        return _read(raw, team)
    except Exception as exc:  # noqa: BLE001 - one bad message must not fail its batch
        log.warning("message could not be read: %s", type(exc).__name__)
        return Reading(error=f"could not be read ({type(exc).__name__})", defects=(f"ReadError: {type(exc).__name__}",))


def _read(raw: bytes, team: frozenset[str]) -> Reading:
    mail = parse(raw)
    sender = normalize_address(mail.sender.address)
    forward = _team_forward(mail, sender, team)
    looks_forwarded = None
    if forward is not None:
        original, subject, body = forward.sender, forward.subject or _outer_subject(mail), forward.body
        sent_at = _date(forward.date) or _aware(mail.date)
    else:
        original, subject, body = mail.sender, mail.subject, mail.text
        sent_at = _aware(mail.date)
        looks_forwarded = _looks_forwarded(mail, sender)
    if forward is None and mail.text_from_html and mail.html:
        # No text part: cut the quote containers out of the HTML first, as `triage parse` does; the
        # rendered text has lost the marks of a quote that has no "On … wrote:" line above it.
        reply = split_signature(html_reply_text(mail.html))[0]
    else:
        reply = reply_text(body) if body else ""
    original_address = normalize_address(original.address)
    recipients = [b.address for b in (*mail.to, *mail.cc) if b.address]
    for name in ("Delivered-To", "X-Original-To"):
        value = mail.header(name)
        if value:
            recipients.append(value)
    return Reading(
        from_address=sender,
        from_name=_cap(mail.sender.name, 200),
        original_from_address=original_address,
        original_from_name=_cap(original.name, 200),
        forwarded_by=sender if forward is not None else None,
        subject=clean(subject or ""),
        sent_at=sent_at,
        body_text=clean(mail.text),
        reply_text=clean(reply or body.strip()),
        has_html=mail.html is not None,
        message_id=_cap(mail.message_id, 998),
        in_reply_to=_cap(mail.in_reply_to[0], 998) if mail.in_reply_to else None,
        references=tuple(clean(r[:998]) for r in mail.references[:50]),
        recipients=tuple(a for a in (normalize_address(r) for r in recipients) if a),
        auto_reply=autoreply.is_auto_reply(mail.header, original_address or sender, subject or "", reply),
        attachments=tuple(
            {"filename": _cap(a.filename, 300), "content_type": clean(a.content_type[:200]), "size": a.size}
            for a in mail.attachments[:100]
        ),
        defects=tuple(clean(d[:300]) for d in mail.defects[:50]),
        error=_unreadable(mail),
        unregistered_forward=_cap(looks_forwarded, 200) if forward is None else None,
        from_domain=authentication.from_domain(mail),
    )


def _team_forward(mail: ParsedMail, sender: str | None, team: frozenset[str]) -> Forward | None:
    """The forwarded original, only when a team member forwarded it; else None (taken at face value)."""
    if sender is None or sender not in team:
        return None
    chain = unwrap_message(mail)
    # A forward of a forward inside the team: the original is the first level not from the team.
    for level in chain:
        if normalize_address(level.sender.address) not in team:
            return level if level.sender.address else None
    return None


def _looks_forwarded(mail: ParsedMail, sender: str | None) -> str | None:
    """The sender's name when the mail carries forward headers of someone else's message, else None."""
    if sender is None:
        return None
    chain = unwrap_message(mail, max_depth=1)
    if not chain:
        return None
    inner = normalize_address(chain[0].sender.address)
    if inner is None or inner == sender:
        return None  # a forward of one's own mail is one's own
    return (mail.sender.name or "").strip() or sender


def _unreadable(mail: ParsedMail) -> str | None:
    bad = [d for d in mail.defects if d.startswith(UNREADABLE)]
    if bad:
        return "unreadable: " + "; ".join(bad[:3])
    if not mail.header_fields:
        return "unreadable: no header fields"
    if mail.sender.address is None and not mail.text.strip():
        return "unreadable: no sender and no text"
    return None


def _outer_subject(mail: ParsedMail) -> str:
    return strip_prefixes(mail.subject or "")


def _date(text: str | None) -> datetime | None:
    """The original's printed date, in any language; a date without a zone is taken as UTC."""
    return _aware(read_date(text))


def _aware(when: datetime | None) -> datetime | None:
    if when is None:
        return None
    try:
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _cap(text: str | None, length: int) -> str | None:
    return clean(text[:length]) if text else text


def clean(text: str) -> str:
    """Text every database takes: no NUL characters, no lone surrogates from undecodable bytes."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text
