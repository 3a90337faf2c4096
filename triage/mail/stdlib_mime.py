"""The stdlib's parser (compat32) for every message simple_mime does not take: nested parts,
attached messages, broken boundaries, 8-bit headers, odd charsets. Each step is guarded: bad
input gives defects, never an exception.
"""

from __future__ import annotations

import binascii
import email
import email.errors
import email.message
import email.policy
import logging

from triage.mail.charsets import decode_bytes, decode_header_value
from triage.mail.message import (
    MAX_DEPTH,
    MAX_TEXT_PARTS,
    Attachment,
    ParsedMail,
    Structure,
    assemble,
    is_inline_text,
)
from triage.mail.mime_repair import repair_boundary

log = logging.getLogger(__name__)


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
        return assemble(raw, read(msg, defects, depth), defects)
    except Exception as exc:
        log.warning("attached message could not be parsed: %s", type(exc).__name__)
        return ParsedMail(raw=raw, defects=tuple(defects + [f"ParseError: {type(exc).__name__}"]))


def read(msg: email.message.Message, defects: list[str], depth: int) -> Structure:
    """The structure of a parsed Message; defects are appended to `defects`."""
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
                defects.append(f"NestingTooDeep: attached messages beyond depth {MAX_DEPTH} not parsed")
            continue
        ctype = _content_type(part)
        filename = _filename(part, defects)
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        inline_text = is_inline_text(ctype, disposition, filename)
        if inline_text and len(found.texts) + len(found.htmls) >= MAX_TEXT_PARTS:
            inline_text = False
            if not capped:
                capped = True
                defects.append(f"TooManyTextParts: parts after the first {MAX_TEXT_PARTS} listed as attachments")
        if inline_text:
            payload = _payload(part, defects)
            body = decode_bytes(payload, part.get_content_charset(), defects)
            (found.texts if ctype == "text/plain" else found.htmls).append(body)
        else:
            found.attachments.append(Attachment(filename, ctype, len(_payload(part, defects))))
    return found


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
    # The stdlib records base64 damage on the part only while it decodes the payload, which is
    # after _collect_defects has run: pick those defects up here.
    seen = len(part.defects)
    try:
        payload = part.get_payload(decode=True)
    except Exception as exc:
        defects.append(f"PayloadDecodeError: {type(exc).__name__}")
        payload = None
    damage = [d for d in part.defects[seen:] if isinstance(d, _BASE64_DAMAGE)]
    if damage:
        payload = _base64_damage(part, payload, damage, defects)
    if payload is None:
        body = part._payload
        if isinstance(body, str):
            return body.encode("ascii", "surrogateescape")
        if isinstance(body, list):
            return "".join(str(p) for p in body).encode("utf-8", "replace")
        return b""
    return payload


_BASE64_DAMAGE = (
    email.errors.InvalidBase64CharactersDefect,
    email.errors.InvalidBase64PaddingDefect,
    email.errors.InvalidBase64LengthDefect,
)
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_NOT_BASE64 = bytes(b for b in range(256) if b not in _BASE64_ALPHABET)


def _base64_damage(
    part: email.message.Message, payload: bytes | None, damage: list, defects: list[str]
) -> bytes | None:
    """Record what is wrong with a base64 body, and decode what can be decoded of it."""
    encoded = part._payload.encode("ascii", "surrogateescape") if isinstance(part._payload, str) else b""
    if encoded.translate(None, _BASE64_ALPHABET + b"= \t\r\n"):  # blanks are noise (RFC 2045 6.8)
        defects.append("InvalidBase64CharactersDefect: base64 body damaged: characters outside base64 skipped")
    for defect in damage:
        name = type(defect).__name__
        if isinstance(defect, email.errors.InvalidBase64PaddingDefect):
            defects.append(f"{name}: base64 body damaged: padding missing, the body may be cut short")
        elif isinstance(defect, email.errors.InvalidBase64LengthDefect):
            defects.append(f"{name}: base64 body damaged: cut short mid-character; the part before it kept")
            # The stdlib then returns the base64 text itself. One character past a multiple of
            # four carries 6 of a byte's 8 bits: decode without it. As the stdlib's lenient
            # decoding does, skip characters outside base64 and stop at the first padding.
            data = encoded.split(b"=", 1)[0].translate(None, _NOT_BASE64)
            data = data[: len(data) - 1] if len(data) % 4 == 1 else data
            try:
                payload = binascii.a2b_base64(data + b"=" * (-len(data) % 4))
            except binascii.Error:  # not expected once the length is right; keep the stdlib's answer
                pass
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


def _collect_defects(msg: email.message.Message, defects: list[str]) -> None:
    stack = [msg]
    while stack:
        part = stack.pop()
        for defect in getattr(part, "defects", ()):
            defects.append(type(defect).__name__)
        payload = part._payload
        if isinstance(payload, list) and _content_type(part) != "message/rfc822":
            stack.extend(p for p in payload if isinstance(p, email.message.Message))
