"""What a parsed message is: ParsedMail, the MIME Structure a reader finds, and `assemble`,
which turns a Structure into a ParsedMail (headers decoded on demand, each step guarded).
"""

from __future__ import annotations

import email
import email.policy
import email.utils
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from dateutil import parser as date_parser

from triage.mail.addresses import Mailbox, simple_address
from triage.mail.charsets import decode_header_value
from triage.mail.html import html_to_text
from triage.mail.threading import message_ids

MAX_TEXT_PARTS = 20  # inline text parts joined into the body; the rest are listed as attachments
MAX_DEPTH = 8  # nested message/rfc822 levels we descend into (the MIME torture test goes deeper)


@dataclass(frozen=True)
class Attachment:
    """A part that is not body text: its file name, media type and decoded size in bytes."""

    filename: str | None
    content_type: str
    size: int


@dataclass(frozen=True)
class ParsedMail:
    """What triage needs from one message; `raw` is the input, byte for byte."""

    raw: bytes
    # The header fields as the parser read them (8-bit bytes as surrogates); decoded on demand,
    # because a delivered message carries a dozen long trace and signature fields that nothing
    # reads, and decoding them all was a third of the time spent parsing.
    header_fields: tuple[tuple[str, object], ...] = ()
    header_charset: str | None = None  # the likely charset of raw 8-bit header bytes
    message_id: str | None = None
    subject: str = ""
    sender: Mailbox = Mailbox(None, None)
    to: tuple[Mailbox, ...] = ()
    cc: tuple[Mailbox, ...] = ()
    reply_to: tuple[Mailbox, ...] = ()
    date: datetime | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    text: str = ""
    html: str | None = None
    text_from_html: bool = False
    attachments: tuple[Attachment, ...] = ()
    attached: tuple[ParsedMail, ...] = ()
    defects: tuple[str, ...] = field(default=())

    def header(self, name: str) -> str | None:
        """Return the first decoded value of a header, case-insensitively, or None."""
        value = self._first_values.get(name.lower(), _MISSING)
        return None if value is _MISSING else decode_header_value(value, [], self.header_charset)

    @cached_property
    def headers(self) -> tuple[tuple[str, str], ...]:
        """Every header field, decoded (RFC 2047 words, raw 8-bit bytes)."""
        return tuple((str(k), decode_header_value(v, [], self.header_charset)) for k, v in self.header_fields)

    @cached_property
    def _first_values(self) -> dict[str, object]:
        # Auto-reply detection alone asks for a dozen headers: index them once.
        first: dict[str, object] = {}
        for key, value in self.header_fields:
            first.setdefault(str(key).lower(), value)
        return first


_MISSING = object()


@dataclass
class Structure:
    """A message's MIME structure, read by the stdlib parser or by simple_mime's fast reader."""

    header_fields: tuple[tuple[str, object], ...]
    charset_hint: str | None
    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    attached: list[ParsedMail] = field(default_factory=list)
    index: dict[str, list] | None = None  # header values by lowercased name, when the reader made it


def is_inline_text(ctype: str, disposition: str, filename: str | None) -> bool:
    """A part that belongs to the body: text shown inline, not a named attachment."""
    return (
        ctype in ("text/plain", "text/html")
        and disposition != "attachment"
        and (filename is None or disposition == "inline")
    )


def assemble(raw: bytes, found: Structure, defects: list[str]) -> ParsedMail:
    """The ParsedMail of a read structure: headers decoded, body texts joined."""
    hint = found.charset_hint
    raw_values = found.index  # Message.get() lowercases every name on every call: index once
    if raw_values is None:
        raw_values = {}
        for key, value in found.header_fields:
            raw_values.setdefault(str(key).lower(), []).append(value)

    def get(name: str):  # as msg.get(name) with compat32: the first value, 8-bit bytes as a Header
        values = raw_values.get(name.lower())
        return email.policy.compat32.header_fetch_parse(name, values[0]) if values else None

    text = "\n".join(t for t in found.texts if t.strip())
    html = "\n".join(found.htmls) if found.htmls else None
    from_html = False
    if not text.strip() and html:
        text, from_html = html_to_text(html), True
    mail = ParsedMail(
        raw=raw,
        header_fields=found.header_fields,
        header_charset=hint,
        message_id=(message_ids(get("Message-ID")) or [None])[0],
        subject=decode_header_value((raw_values.get("subject") or [None])[0], defects, hint),
        sender=(_addresses(raw_values, "From", defects, hint) or [Mailbox(None, None)])[0],
        to=tuple(_addresses(raw_values, "To", defects, hint)),
        cc=tuple(_addresses(raw_values, "Cc", defects, hint)),
        reply_to=tuple(_addresses(raw_values, "Reply-To", defects, hint)),
        date=_date(get("Date"), defects),
        in_reply_to=tuple(message_ids(_str(get("In-Reply-To")))),
        references=tuple(message_ids(_str(get("References")))),
        text=text.replace("\r\n", "\n").replace("\x00", ""),
        html=html,
        text_from_html=from_html,
        attachments=tuple(found.attachments),
        attached=tuple(found.attached),
        defects=tuple(dict.fromkeys(defects)),
    )
    # Prime header()'s index with the one made here (a cached_property lives in the instance dict).
    mail.__dict__["_first_values"] = {name: values[0] for name, values in raw_values.items()}
    return mail


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _addresses(raw_values: dict[str, list], name: str, defects: list[str], hint: str | None) -> list[Mailbox]:
    values = raw_values.get(name.lower())
    if not values:
        return []
    if len(values) == 1 and isinstance(values[0], str):
        simple = simple_address(values[0])
        if simple:
            display, address = simple
            return [
                Mailbox(
                    decode_header_value(display, defects, hint) or None,
                    decode_header_value(address, defects, hint) or None,
                )
            ]
    try:
        pairs = email.utils.getaddresses([str(v) for v in values])
    except Exception as exc:
        defects.append(f"AddressParseError: {name}: {type(exc).__name__}")
        return []
    out = []
    for display, address in pairs:
        display_name = decode_header_value(display, defects, hint) or None
        address = decode_header_value(address, defects, hint) or None
        if display_name or address:
            out.append(Mailbox(display_name, address))
    return out


def _date(value: object, defects: list[str]) -> datetime | None:
    if not value:
        return None
    text = str(value).strip()
    try:
        return _checked(email.utils.parsedate_to_datetime(text))
    except Exception:
        pass
    try:
        return _checked(date_parser.parse(text, fuzzy=True))
    except Exception:
        defects.append("InvalidDateDefect: Date header could not be read")
        return None


def _checked(when: datetime) -> datetime:
    """`when`, once its offset is one Python can use (dateutil accepts "+9999", which later fails)."""
    when.utcoffset()
    return when
