"""The JSON object `triage parse` prints for one file (field names fixed by DESIGN.md)."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from triage.mail.addresses import Mailbox
from triage.mail.autoreply import is_auto_reply
from triage.mail.forwarded import unwrap_message
from triage.mail.html_quotes import html_reply_text
from triage.mail.message import ParsedMail
from triage.mail.parse import parse
from triage.mail.printed_dates import read_date
from triage.mail.quotes import reply_text
from triage.mail.signatures import split_signature
from triage.mail.threading import normalize_subject

log = logging.getLogger(__name__)


def _iso(value: datetime | str | None) -> str | None:
    """ISO 8601 for a datetime or a date string a client printed; None when it cannot be read."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    when = read_date(value)  # localized ("26. října 2021 14:25:08 GMT+3") too; the text stays in original_date_raw
    return when.isoformat() if when is not None else None


def _box(box: Mailbox) -> dict[str, str | None]:
    return box.as_dict()


def describe_bytes(raw: bytes, file: str | None = None) -> dict[str, Any]:
    """Parse, unwrap and strip one raw message into the `triage parse` JSON object."""
    return describe_mail(parse(raw), file)


def describe_mail(mail: ParsedMail, file: str | None = None) -> dict[str, Any]:
    """The `triage parse` JSON object of a parsed message: unwrap forwards, strip quotes."""
    chain = unwrap_message(mail)
    original = chain[-1] if chain else None
    if original is not None:
        own_text = reply_text(original.body)  # quotes and signature removed
    elif mail.text_from_html and mail.html:
        own_text = split_signature(html_reply_text(mail.html))[0]
    else:
        own_text = reply_text(mail.text)
    subject = mail.subject
    date = _iso(mail.date)
    return {
        "file": file,
        "message_id": mail.message_id,
        "from": _box(mail.sender),
        "original_from": _box(original.sender if original else mail.sender),
        "subject": subject,
        "original_subject": (original.subject or normalize_subject(subject)) if original else subject,
        "date": date,
        "original_date": _iso(original.date) if original else date,
        "original_date_raw": original.date if original else None,
        "forwarded": original is not None,
        "forward_kind": chain[0].kind if chain else None,
        "forward_depth": len(chain),
        "body_text": mail.text,
        "reply_text": own_text,
        "original_body": original.body if original else mail.text,
        "forward_note": chain[0].note if chain else None,
        "auto_reply": is_auto_reply(mail.header, mail.sender.address, subject, mail.text),
        "in_reply_to": mail.in_reply_to[0] if mail.in_reply_to else None,
        "references": list(mail.references),
        "attachments": [
            {"filename": a.filename, "content_type": a.content_type, "size": a.size} for a in mail.attachments
        ],
        "defects": list(mail.defects),
    }


def describe(path: str | Path) -> dict[str, Any]:
    """The `triage parse` object for a file; an unreadable file gets an `error` field instead."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return {"file": str(path), "error": f"{type(exc).__name__}: {exc.strerror or exc}"}
    try:
        return describe_bytes(raw, str(path))
    except Exception as exc:  # parse() never raises; this guards the unwrapping and stripping steps
        log.exception("describe failed")
        return {"file": str(path), "error": f"{type(exc).__name__}: {exc}"}
