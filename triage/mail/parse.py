"""Raw RFC 5322 bytes to a ParsedMail that always exists: bad input gives defects, never an exception.

The stdlib parser runs with policy compat32: it is about 17x faster than policy.default on
small messages (the intake budget is thousands of messages per second) and never raises while
parsing; headers are decoded here instead, each step guarded.
"""
from __future__ import annotations

import email
import email.header
import email.message
import email.policy
import email.utils
import logging
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime

from triage.mail.addresses import Mailbox, simple_address
from triage.mail.charsets import decode_bytes, decode_header_value
from triage.mail.html import html_to_text
from triage.mail.mime_repair import repair_boundary
from triage.mail.threading import message_ids

log = logging.getLogger(__name__)

MAX_TEXT_PARTS = 20  # inline text parts joined into the body; the rest are listed as attachments
MAX_DEPTH = 8  # nested message/rfc822 levels we descend into (the MIME torture test goes deeper)
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


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
    attached: tuple["ParsedMail", ...] = ()
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


def parse(raw: bytes, *, fast: bool = True) -> ParsedMail:
    """Parse raw message bytes; never raises, and keeps `raw` unchanged.

    With fast=False the stdlib parser reads every message (the fast reader's tests compare)."""
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        return ParsedMail(raw=b"", defects=(f"input is {type(raw).__name__}, not bytes",))
    raw = bytes(raw)
    defects: list[str] = []
    if raw.startswith(_OLE2_MAGIC):
        defects.append("NotMimeDefect: Outlook .msg (OLE2) file, not an RFC 5322 message")
        return ParsedMail(raw=raw, defects=tuple(defects))
    try:
        found = simple_mime.read(raw) if fast else None  # the everyday shapes, without the stdlib parser
        if found is not None:
            return assemble(raw, found, defects)
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        return _from_message(msg, raw, defects, depth=0)
    except Exception as exc:  # the parser of last resort: record and keep the bytes
        log.warning("message could not be parsed: %s", type(exc).__name__)
        text = decode_bytes(raw, None, defects)
        return ParsedMail(raw=raw, text=text, defects=tuple(defects + [f"ParseError: {type(exc).__name__}"]))


def parse_message(msg: email.message.Message, raw: bytes | None = None, depth: int = 0) -> ParsedMail:
    """Build a ParsedMail from an already-parsed stdlib Message (an attached message/rfc822)."""
    defects: list[str] = []
    if raw is None:
        try:
            raw = msg.as_bytes()
        except Exception as exc:  # generator trips on broken parts; the fields still parse
            defects.append(f"GenerateError: {type(exc).__name__}")
            raw = b""
    try:
        return _from_message(msg, raw, defects, depth=depth)
    except Exception as exc:
        log.warning("attached message could not be parsed: %s", type(exc).__name__)
        return ParsedMail(raw=raw, defects=tuple(defects + [f"ParseError: {type(exc).__name__}"]))


@dataclass
class Structure:
    """A message's MIME structure, read by the stdlib parser or by simple_mime's fast reader."""

    header_fields: tuple[tuple[str, object], ...]
    charset_hint: str | None
    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    attached: list["ParsedMail"] = field(default_factory=list)
    index: dict[str, list] | None = None  # header values by lowercased name, when the reader made it


def _from_message(msg: email.message.Message, raw: bytes, defects: list[str], depth: int) -> ParsedMail:
    return assemble(raw, _structure(msg, defects, depth), defects)


def _structure(msg: email.message.Message, defects: list[str], depth: int) -> Structure:
    msg = repair_boundary(msg, defects)
    # compat32 wraps raw 8-bit values in Header objects that lose the bytes: read _headers.
    found = Structure(tuple(msg._headers), _charset_hint(msg))
    _collect_defects(msg, defects)
    capped = False
    for kind, part in _leaves(msg, defects):
        if kind == "message":
            inner = part.get_payload()
            inner_msg = inner[0] if isinstance(inner, list) and inner else None
            found.attachments.append(Attachment(_filename(part, defects), "message/rfc822", _size(part)))
            if isinstance(inner_msg, email.message.Message) and depth < MAX_DEPTH:
                found.attached.append(parse_message(inner_msg, depth=depth + 1))
            elif depth >= MAX_DEPTH:
                defects.append("NestingTooDeep: attached messages beyond depth %d not parsed" % MAX_DEPTH)
            continue
        ctype = _content_type(part)
        filename = _filename(part, defects)
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        inline_text = is_inline_text(ctype, disposition, filename)
        if inline_text and len(found.texts) + len(found.htmls) >= MAX_TEXT_PARTS:
            inline_text = False
            if not capped:
                capped = True
                defects.append("TooManyTextParts: parts after the first %d listed as attachments" % MAX_TEXT_PARTS)
        if inline_text:
            payload = _payload(part, defects)
            body = decode_bytes(payload, part.get_content_charset(), defects)
            (found.texts if ctype == "text/plain" else found.htmls).append(body)
        else:
            found.attachments.append(Attachment(filename, ctype, len(_payload(part, defects))))
    return found


def is_inline_text(ctype: str, disposition: str, filename: str | None) -> bool:
    """A part that belongs to the body: text shown inline, not a named attachment."""
    return ctype in ("text/plain", "text/html") and disposition != "attachment" and (
        filename is None or disposition == "inline")


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


def _charset_hint(msg: email.message.Message) -> str | None:
    """The first charset a text part declares: the likely charset of raw 8-bit headers."""
    stack, seen = [msg], 0
    while stack and seen < 50:
        part = stack.pop()
        seen += 1
        try:
            charset = part.get_content_charset()
        except Exception:
            charset = None
        if charset and charset not in ("us-ascii", "ascii"):
            return charset
        if isinstance(part._payload, list):
            stack.extend(p for p in part._payload if isinstance(p, email.message.Message))
    return None


def _leaves(msg: email.message.Message, defects: list[str]):
    """Yield ("leaf", part) and ("message", part) without entering attached messages."""
    stack = [msg]
    seen = 0
    while stack:
        part = stack.pop()
        seen += 1
        if seen > 10_000:
            defects.append("TooManyParts: stopped after 10000 MIME parts")
            return
        ctype = _content_type(part)
        payload = part._payload  # compat32 keeps a list here for multipart and message/* parts
        if ctype == "message/rfc822" and isinstance(payload, list):
            yield "message", part
        elif ctype.startswith("multipart/") and isinstance(payload, list):
            stack.extend(reversed(payload))
        elif isinstance(payload, list):  # message/delivery-status and the like: headers only
            yield "leaf", part
        else:
            yield "leaf", part


def _content_type(part: email.message.Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "application/octet-stream"


def _payload(part: email.message.Message, defects: list[str]) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception as exc:
        defects.append(f"PayloadDecodeError: {type(exc).__name__}")
        payload = None
    if payload is None:
        body = part._payload
        if isinstance(body, str):
            return body.encode("ascii", "surrogateescape")
        if isinstance(body, list):
            return "".join(str(p) for p in body).encode("utf-8", "replace")
        return b""
    return payload


def _size(part: email.message.Message) -> int:
    try:
        return len(part.as_bytes())
    except Exception:
        return 0


def _filename(part: email.message.Message, defects: list[str]) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        return None
    if not name:
        return None
    return decode_header_value(name, defects) or None


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
            return [Mailbox(decode_header_value(display, defects, hint) or None,
                            decode_header_value(address, defects, hint) or None)]
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
        return email.utils.parsedate_to_datetime(text)
    except Exception:
        pass
    try:
        from dateutil import parser as date_parser

        return date_parser.parse(text, fuzzy=True)
    except Exception:
        defects.append("InvalidDateDefect: Date header could not be read")
        return None


def _collect_defects(msg: email.message.Message, defects: list[str]) -> None:
    stack = [msg]
    while stack:
        part = stack.pop()
        for defect in getattr(part, "defects", ()):
            defects.append(type(defect).__name__)
        payload = part._payload
        if isinstance(payload, list) and _content_type(part) != "message/rfc822":
            stack.extend(p for p in payload if isinstance(p, email.message.Message))


from triage.mail import simple_mime  # noqa: E402 - it reads into the classes above
