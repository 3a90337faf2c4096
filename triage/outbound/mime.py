"""Build outgoing emails from outbox rows: pure functions, header-safe by construction."""

from __future__ import annotations

import binascii
import html
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.charset import BASE64, Charset
from email.header import Header
from email.headerregistry import Address
from email.policy import Compat32
from email.utils import format_datetime, formataddr, make_msgid

# Header values must never carry line breaks (header injection) or other control characters.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}
_ASCII_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
MAX_REFERENCES = 20  # RFC 5322 lets us trim the middle; mail clients only need the ends


class BadAddress(ValueError):
    """An address that cannot be put in a header."""


def clean_header_text(value: str | None, limit: int = 900) -> str:
    """Return `value` on one line: control and line-break characters become spaces, runs collapse."""
    if not value:
        return ""
    if value.isascii():  # the everyday case: in ASCII only the C0 controls and DEL are unsafe
        text = _ASCII_CONTROLS.sub(" ", value)
    else:
        text = "".join(" " if unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch for ch in value)
    # Python's email package writes a literal "=?…?=" unencoded and every reader then decodes
    # it, so a name could show text other than itself; a space breaks the look-alike (at
    # either end, since the folder also treats a trailing "?=" as the end of a word).
    text = text.replace("=?", "= ?").replace("?=", "? =")
    return _SPACES.sub(" ", text).strip()[:limit].strip()


# The everyday address (dot-atom local part and domain); anything else takes the full parser.
_PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+"
)


def check_address(addr_spec: str) -> str:
    """Return addr_spec if it is one plain address fit for a header, else raise BadAddress."""
    if _PLAIN_ADDRESS.fullmatch(addr_spec or ""):
        return addr_spec
    return address(addr_spec).addr_spec


def address(addr_spec: str, display_name: str | None = "") -> Address:
    """Return a header Address, or raise BadAddress when addr_spec is not one plain address."""
    spec = (addr_spec or "").strip()
    if not spec or clean_header_text(spec) != spec or " " in spec or spec.count("@") != 1:
        raise BadAddress(f"not a single email address: {spec!r}")
    try:
        parsed = Address(display_name=clean_header_text(display_name, 200), addr_spec=spec)
    except (ValueError, IndexError) as exc:
        raise BadAddress(f"not a single email address: {spec!r}") from exc
    if parsed.addr_spec != spec and parsed.addr_spec.lower() != spec.lower():
        raise BadAddress(f"not a single email address: {spec!r}")
    return parsed


def new_message_id(from_address: str) -> str:
    """A fresh Message-ID in our sender's domain, fixed when the outbox row is made."""
    domain = from_address.rpartition("@")[2] or "triage.localhost"
    return make_msgid(domain=domain)


def _msgid(value: str | None) -> str | None:
    value = clean_header_text(value, 998).replace(" ", "")
    if not value:
        return None
    return value if value.startswith("<") else f"<{value}>"


def text_to_html(body_text: str) -> str:
    """A minimal HTML alternative for a plain-text body (escaped, paragraphs kept)."""
    paragraphs = [p for p in re.split(r"\n\s*\n", body_text.strip()) if p.strip()]
    inner = "\n".join("<p>" + html.escape(p).replace("\n", "<br>\n") + "</p>" for p in paragraphs)
    return f"<!doctype html>\n<html><body>\n{inner}\n</body></html>\n"


@dataclass(frozen=True)
class Draft:
    """Everything an outgoing email needs; an Outbound row maps onto it one to one."""

    message_id: str
    from_address: str
    to_address: str
    subject: str
    body_text: str
    from_name: str = ""
    to_name: str = ""
    body_html: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    automatic: bool = False


def ascii_address(address: str) -> str:
    """The address as mail without SMTPUTF8 carries it (in headers and SMTP commands alike): an
    internationalized domain in its ASCII (IDNA) form. A non-ASCII mailbox name has no such form:
    BadAddress, since we do not speak SMTPUTF8."""
    if address.isascii():
        return address
    local, _, domain = address.rpartition("@")
    if not local.isascii():
        raise BadAddress(f"{address!r} needs SMTPUTF8 (a non-ASCII mailbox name)")
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError as exc:
        raise BadAddress(f"{address!r}: the domain is not a valid internationalized name") from exc


def _address_header(spec: str, name: str | None) -> str:
    spec = ascii_address(spec)
    name = clean_header_text(name, 200)
    # One encoded word for a non-ASCII name: CPython's parser reads a space between adjacent
    # encoded words in a display name (against RFC 2047 6.2), so the name is never split.
    return formataddr((name, spec), charset="utf-8") if name else spec


# Base64 encoded words: the email package's default for UTF-8 ("shortest") measures the
# quoted-printable length of every prefix of the text, most of the cost of a whole email.
_UTF8_WORDS = Charset("utf-8")
_UTF8_WORDS.header_encoding = BASE64


def _text_header(value: str) -> str | Header:
    return value if value.isascii() else Header(value, _UTF8_WORDS)


_LINE_ENDS = re.compile(r"\r\n?")


def _text_part(text: str, subtype: str) -> bytes:
    """One text/* body part with CRLF line ends: 7bit when it is ASCII and every line fits
    SMTP's 1000-octet limit, otherwise UTF-8 quoted-printable (readable in the raw message,
    unlike base64; binascii wraps long lines)."""
    text = _LINE_ENDS.sub("\n", text)
    if text.isascii() and all(len(line) <= 900 for line in text.split("\n")):
        head, body = (
            f'Content-Type: text/{subtype}; charset="us-ascii"\nContent-Transfer-Encoding: 7bit',
            text.encode("ascii"),
        )
    else:
        head, body = (
            f'Content-Type: text/{subtype}; charset="utf-8"\nContent-Transfer-Encoding: quoted-printable',
            binascii.b2a_qp(text.encode("utf-8"), istext=True),
        )
    return head.encode("ascii") + b"\n\n" + body


def to_bytes(draft: Draft, date: datetime | None = None) -> bytes:
    """The message as it goes over SMTP (CRLF line ends); raise BadAddress for an unusable address.

    Written out here rather than through email.generator, which took a third of a worker's time
    per email: headers go through the compat32 folder (which encodes and wraps what needs it),
    every value is cleaned first, and the property test parses the result back with
    policy.default.
    """
    check_address(draft.from_address)
    check_address(draft.to_address)
    headers = [
        ("From", _address_header(draft.from_address, draft.from_name)),
        ("To", _address_header(draft.to_address, draft.to_name)),
        ("Subject", _text_header(clean_header_text(draft.subject))),
        ("Date", format_datetime(date or datetime.now(UTC))),
        ("Message-ID", _msgid(draft.message_id)),
    ]
    in_reply_to = _msgid(draft.in_reply_to)
    if in_reply_to:
        headers.append(("In-Reply-To", in_reply_to))
    references = [r for r in (_msgid(x) for x in draft.references) if r]
    if in_reply_to and in_reply_to not in references:
        references.append(in_reply_to)
    if len(references) > MAX_REFERENCES:
        references = references[:1] + references[-(MAX_REFERENCES - 1) :]
    if references:
        headers.append(("References", " ".join(references)))
    if draft.automatic:
        # RFC 3834: so that vacation responders and other robots do not answer us back.
        headers += [("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All")]
    # A random boundary cannot occur in the parts: "=_" never appears in quoted-printable text,
    # and a 7bit part would have to contain 128 random bits.
    boundary = f"=_{secrets.token_hex(16)}"
    head = "".join(_WIRE.fold_str(name, value) for name, value in headers)
    head += f'MIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n\r\n'
    text = draft.body_text if draft.body_text.endswith("\n") else draft.body_text + "\n"
    delimiter = f"\n--{boundary}\n".encode("ascii")
    body = (
        delimiter[1:]
        + _text_part(text, "plain")
        + delimiter
        + _text_part(draft.body_html or text_to_html(draft.body_text), "html")
        + f"\n--{boundary}--\n".encode("ascii")
    )
    return head.encode("ascii") + body.replace(b"\n", b"\r\n")


class _Wire(Compat32):
    """compat32 with CRLF, writing a short one-line ASCII header as is instead of through
    email.header.Header (the same bytes, a tenth of the time)."""

    def _fold(self, name, value, sanitize):
        if (
            isinstance(value, str)
            and value.isascii()
            and len(name) + len(value) + 2 <= 78
            and "\r" not in value
            and "\n" not in value
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)

    def fold_str(self, name: str, value: str | Header) -> str:
        """The header line(s) as email.generator would write them for this policy."""
        return self._fold(name, value, sanitize=False)


_WIRE = _Wire(linesep="\r\n")


def from_row(row) -> Draft:
    """The Draft for an Outbound row (duck-typed, so this module needs no database)."""
    return Draft(
        message_id=row.message_id,
        from_address=row.from_address,
        to_address=row.to_address,
        subject=row.subject,
        body_text=row.body_text,
        from_name=getattr(row, "from_name", "") or "",
        to_name=row.to_name or "",
        body_html=row.body_html,
        in_reply_to=row.in_reply_to,
        references=list(row.references or []),
        automatic=row.automatic,
    )


_PREFIXES = re.compile(r"^(?:\s*(?:re|aw|sv|vs|antw|fwd?|wg)\s*(?:\[\d+\])?\s*:)+", re.IGNORECASE)


def reply_subject(subject: str | None) -> str:
    """'Re: ' once, never 'Re: Re: ' nor 'Re: AW: ', and never a bare 'Re:' (no subject)."""
    subject = clean_header_text(subject)
    rest = _PREFIXES.sub("", subject).strip()
    return f"Re: {rest}" if rest else "Re: your message"


def tidy_subject(subject: str | None) -> str:
    """A subject a person wrote, with a run of reply prefixes ('Re: Re: AW:') said once as 'Re: '."""
    subject = clean_header_text(subject)
    match = _PREFIXES.match(subject)
    if match and re.search(r"(?i)re|aw|sv|vs|antw", match.group(0)) and match.group(0).count(":") > 1:
        return reply_subject(subject)
    return subject
