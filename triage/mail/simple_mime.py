"""A fast reader for the everyday shapes of mail, giving exactly what the stdlib parser would.

Why our own: the stdlib's feed parser reads a message line by line in Python and was about half
of the time `triage parse` spent on a typical 5 KB reply, before a single quote was looked at;
no maintained library reads MIME faster while keeping compat32's results (which the rest of
triage.mail is built and tested on). So the common shapes are read here with a few bytes
operations: ASCII header fields, a single text part or one flat multipart of text parts and
simple attachments, 7bit/8bit/quoted-printable/base64. Anything else, or anything this reader
is not sure of, returns None and the stdlib parser reads the message as before.
tests/mail/test_simple_mime.py checks that both readers agree on every message this one accepts.
"""

from __future__ import annotations

import binascii
import re

from triage.mail.charsets import decode_bytes
from triage.mail.message import MAX_TEXT_PARTS, Attachment, Structure, is_inline_text

_TYPE = re.compile(r"\s*([!#$%&'*+\-.0-9A-Z^_`a-z|~]+/[!#$%&'*+\-.0-9A-Z^_`a-z|~]+)\s*(;.*)?\Z", re.S)
# name=token or name="quoted, without backslashes" (anything else: the stdlib's rules, e.g. RFC 2231)
_PARAM = re.compile(r"\s*([!#$%&'+\-.0-9A-Z^_`a-z|~]+)\s*=\s*(?:\"([^\"\\\r\n]*)\"|([!#$%&'+\-.0-9A-Z^_`a-z|~]+))\s*")
_TOKEN = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z|~]+")
_BASE64 = re.compile(rb"[A-Za-z0-9+/]*={0,2}")
_UUENCODE = {"x-uuencode", "uuencode", "uue", "x-uue"}
_FLAT = {"multipart/alternative", "multipart/mixed", "multipart/related"}
MAX_PARTS = 40  # the stdlib path's charset hint looks at the first 50 parts


def read(raw: bytes) -> Structure | None:
    """The structure of `raw` if it has a simple shape, else None (the stdlib parser's turn)."""
    eol = b"\r\n" if raw[:2000].find(b"\r\n") >= 0 else b"\n"
    entity = _entity(raw, eol)
    if entity is None:
        return None
    fields, index, info, body = entity
    if info[0].startswith("multipart/") and not _consistent(body, eol):
        return None
    root = _node(info, body, eol, depth=0)
    if root is None:
        return None
    found = Structure(fields, _charset_hint(root), index=index)
    defects: list[str] = []
    for (p_type, p_params, _, p_disposition, filename), payload in _leaves(root):
        if is_inline_text(p_type, p_disposition, filename):
            if len(found.texts) + len(found.htmls) >= MAX_TEXT_PARTS:
                return None
            text = decode_bytes(payload, p_params.get("charset"), defects)
            (found.texts if p_type == "text/plain" else found.htmls).append(text)
        else:
            found.attachments.append(Attachment(filename, p_type, len(payload)))
    if defects:  # a charset problem: let the full path record it the way it always has
        return None
    return found


# A node: (info, payload bytes for a leaf | list of child nodes for a multipart).
def _node(info, content: bytes, eol: bytes, depth: int):
    ctype = info[0]
    # A multipart, or one multipart inside another (Gmail's mixed > alternative); an encoded
    # multipart is a defect the stdlib records, so it is the stdlib's.
    if ctype in _FLAT and depth < 2 and info[2] in ("", "7bit", "8bit", "binary"):
        parts = _multipart(content, info[1].get("boundary"), eol)
        if parts is None:
            return None
        children = []
        for part_info, part_content in parts:
            child = _node(part_info, part_content, eol, depth + 1)
            if child is None:
                return None
            children.append(child)
        return info, children
    if ctype.startswith("multipart/") or ctype.startswith("message/"):
        return None  # other or deeper structure: the stdlib's
    payload = _decode(content, info[2])
    return None if payload is None else (info, payload)


def _leaves(node):
    """Leaf parts in document order, as the full path's walk yields them."""
    info, content = node
    if isinstance(content, list):
        for child in content:
            yield from _leaves(child)
    else:
        yield info, content


def _charset_hint(root) -> str | None:
    """As stdlib_mime._charset_hint: the message first, then each part's children from the last one back."""
    stack, seen = [root], 0
    while stack and seen < 50:
        info, content = stack.pop()
        seen += 1
        charset = info[1].get("charset")
        if charset and charset not in ("us-ascii", "ascii"):
            return charset
        if isinstance(content, list):
            stack.extend(content)
    return None


def _entity(data: bytes, eol: bytes):
    """(fields, index, part info, body) of a message or body part; None when unsure."""
    head, body = _split(data, eol)
    if head is None:
        return None  # no empty line after the header fields
    read_fields = _fields(head, eol)
    if read_fields is None:
        return None
    fields, index = read_fields
    info = _part_info(index)
    return None if info is None else (fields, index, info, body)


def _split(data: bytes, eol: bytes) -> tuple[bytes | None, bytes]:
    """Header block (with its last line end) and body, at the first empty line."""
    if data.startswith(eol):
        return b"", data[len(eol) :]
    end = data.find(eol + eol)
    if end < 0:
        return None, b""
    return data[: end + len(eol)], data[end + 2 * len(eol) :]


def _fields(head: bytes, eol: bytes) -> tuple[tuple[tuple[str, str], ...], dict[str, list[str]]] | None:
    """(name, value) pairs as compat32 keeps them (value lstripped, continuation lines kept, no last
    line end), and the values by lowercased name."""
    if not head:
        return (), {}
    if not head.isascii() or not _consistent(head, eol):
        return None  # 8-bit bytes, or a line that ends otherwise (the stdlib splits at CR and LF too)
    text = head[: -len(eol)].decode("ascii")
    if text[:1] in (" ", "\t"):
        return None  # a continuation line with nothing to continue
    fields = []
    index: dict[str, list[str]] = {}
    # One piece per field, its continuation lines included: split only where a line does not go on.
    for piece in _FIELD_ENDS[eol].split(text):
        name, colon, value = piece.partition(":")
        # The stdlib's field name: printable ASCII but space and colon (and we refuse the empty one).
        if not colon or not name or " " in name or not name.isprintable():
            return None  # a stray line: the stdlib's MissingHeaderBodySeparator case
        value = value.lstrip(" \t").rstrip("\r\n")
        fields.append((name, value))
        key = name.lower()
        if key in index:
            index[key].append(value)
        else:
            index[key] = [value]
    return tuple(fields), index


_FIELD_ENDS = {b"\r\n": re.compile("\r\n(?![ \t])"), b"\n": re.compile("\n(?![ \t])")}


def _consistent(body: bytes, eol: bytes) -> bool:
    """Every line ends the same way (the stdlib splits at any of CRLF, CR and LF)."""
    if eol == b"\n":
        return b"\r" not in body
    crlf = body.count(b"\r\n")
    return body.count(b"\n") == crlf and body.count(b"\r") == crlf


def _part_info(index: dict[str, list[str]]) -> tuple[str, dict[str, str], str, str, str | None] | None:
    """Content type, its parameters, transfer encoding, disposition and file name; None when unsure."""
    seen: dict[str, str] = {}
    for key in ("content-type", "content-transfer-encoding", "content-disposition"):
        values = index.get(key)
        if values:
            if len(values) > 1:
                return None  # repeated: which one counts is the stdlib's business
            seen[key] = values[0]
    params: dict[str, str] = {}
    if "content-type" in seen:
        match = _TYPE.match(seen["content-type"])
        if match is None:
            return None
        ctype = match.group(1).lower()
        if not _params(match.group(2), params):
            return None
    else:
        ctype = "text/plain"
    disposition = seen.get("content-disposition", "")
    names: dict[str, str] = {}
    if disposition:
        kind, _, rest = disposition.partition(";")
        if _TOKEN.fullmatch(kind.strip()) is None or not _params(
            ";" + rest if rest else None, names, only=("filename",)
        ):
            return None  # e.g. a quote in the kind, which changes how the stdlib splits the parameters
        disposition = kind.strip().lower()
    # As Message.get_filename: the disposition's filename, else the type's name; stripped.
    filename = (names["filename"] if "filename" in names else params.get("name", "")).strip() or None
    if filename is not None and "=?" in filename:
        return None  # encoded words in a file name: decoded, with their defects, by the full path
    # As Message.get_payload: the value lowercased but not stripped; unknown ones mean "as is".
    encoding = seen.get("content-transfer-encoding", "").lower()
    if encoding in _UUENCODE:
        return None
    return ctype, params, encoding, disposition, filename


def _params(text: str | None, into: dict[str, str], only: tuple[str, ...] | None = None) -> bool:
    """Parse '; name=value' pairs into `into` (lowercased names); False for anything unusual."""
    if not text:
        return True
    for piece in text.split(";")[1:]:
        if not piece.strip():
            continue
        match = _PARAM.fullmatch(piece)
        if match is None or "*" in match.group(1):
            return False
        name = match.group(1).lower()
        value = match.group(2) if match.group(2) is not None else match.group(3)
        if only is not None and name not in only:
            continue
        if name in into:
            return False
        if len(value) > 1 and (value[0], value[-1]) in (("<", ">"), ('"', '"')):
            return False  # the stdlib unquotes some values twice ("<cv.pdf>" becomes cv.pdf)
        into[name] = value.lower() if name == "charset" else value
    return True


def _multipart(body: bytes, boundary: str | None, eol: bytes):
    """The parts of a flat multipart: (part info, content) each; None when unsure."""
    if not boundary or len(boundary) > 200 or not boundary.isascii() or boundary != boundary.rstrip():
        return None  # (the stdlib strips trailing blanks off a boundary, then matches lines without them)
    delimiter = b"--" + boundary.encode("ascii")
    lines = body.split(eol)
    starts = [i for i, line in enumerate(lines) if line.startswith(delimiter)]
    if not starts:
        return None
    parts, close = [], None
    for n, i in enumerate(starts):
        if n and starts[n - 1] == i - 1:
            return None  # two delimiters in a row: the stdlib then misses the close (a defect)
        rest = lines[i][len(delimiter) :]
        if rest.rstrip(b" \t") == b"--":
            close = n
            break
        if rest.strip(b" \t"):
            return None  # a longer boundary that starts with ours, or junk after it
    if close is None or close == 0 or close > MAX_PARTS:
        return None  # no closing delimiter (a defect the stdlib records), no parts, or very many
    for a, b in zip(starts[:close], starts[1 : close + 1]):
        entity = _entity(eol.join(lines[a + 1 : b]) + eol, eol)
        if entity is None:
            return None
        _, _, info, content = entity
        # The stdlib leaves off the line end before the next delimiter (added back above).
        parts.append((info, content[: -len(eol)] if content.endswith(eol) else content))
    return parts


def _decode(content: bytes, encoding: str) -> bytes | None:
    if encoding == "quoted-printable":
        return binascii.a2b_qp(content)
    if encoding == "base64":
        joined = b"".join(content.splitlines())
        if len(joined) % 4 or not _BASE64.fullmatch(joined):
            return None  # padding or alphabet trouble: the stdlib records it as a defect
        return binascii.a2b_base64(joined)
    return content
