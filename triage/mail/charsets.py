"""Bytes and header values to text whatever the charset: declared, wrong, unknown or missing."""

from __future__ import annotations

import codecs
import email.header
import re

import charset_normalizer

_DETECT_SAMPLE = 64 * 1024  # enough bytes for charset-normalizer to decide; decoding uses all
_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "x-sjis": "shift_jis",
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "",
    "unknown-8bit": "",
    "x-user-defined": "",
    "default": "",
    "us-ascii": "ascii",
    "iso-8859-8-i": "iso-8859-8",
    "big5": "cp950",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "windows-874": "cp874",
}
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
_FOLD = re.compile(r"\r?\n[ \t]+")


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None


def decode_bytes(data: bytes, declared: str | None, defects: list[str]) -> str:
    """Decode with the declared charset when it fits; otherwise detect; never raises."""
    if not data:
        return ""
    codec = _codec(declared)
    if declared and codec is None:
        defects.append(f"UnknownCharsetDefect: {declared[:40]!r}")
    if codec:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            defects.append(f"CharsetMismatchDefect: body is not valid {declared[:40]!r}")
        except Exception:  # some codecs raise other errors on hostile input
            defects.append(f"CharsetMismatchDefect: body is not valid {declared[:40]!r}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    return _detect(data)


def _detect(data: bytes) -> str:
    try:
        results = charset_normalizer.from_bytes(data[:_DETECT_SAMPLE])
        # Short Western texts fit several single-byte code pages equally well; undeclared mail
        # is overwhelmingly cp1252, so it wins whenever the detector finds it plausible.
        for match in results:
            if match.encoding in ("cp1252", "latin_1", "iso8859_15"):
                return data.decode("cp1252", errors="replace")
        best = results.best()
        if best is not None and best.encoding:
            return data.decode(best.encoding, errors="replace")
    except Exception:
        pass
    # Every byte is a character in cp1252-with-fallback: readable for Western mail, never fails.
    return data.decode("cp1252", errors="replace")


def _raw_8bit(value: str, hint: str | None) -> str:
    """compat32 keeps undeclared 8-bit header bytes as surrogates: decode them properly.

    Mailers that send raw 8-bit headers use the charset of their body, so that is tried first.
    """
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        data = value.encode("ascii", "surrogateescape")
    codec = _codec(hint)
    if codec and codec not in ("ascii", "utf-8"):
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            pass
    return decode_bytes(data, None, [])


def decode_header_value(value: object, defects: list[str], hint: str | None = None) -> str:
    """Unfold and decode a header value (RFC 2047 words, raw 8-bit bytes); never raises."""
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        try:
            return _FOLD.sub(" ", str(value)).strip()
        except Exception:
            value = value.encode()
    text = _FOLD.sub(" ", str(value)).replace("\r", " ").replace("\n", " ")
    if not isinstance(value, str):
        text = str(value)
    text = _raw_8bit(text, hint)
    if "=?" not in text or not _ENCODED_WORD.search(text):
        return text.strip()
    try:
        return str(email.header.make_header(email.header.decode_header(text))).strip()
    except Exception:  # unknown or lying charset in an encoded word: decode chunk by chunk
        pass
    try:
        out = []
        for chunk, charset in email.header.decode_header(text):
            if isinstance(chunk, bytes):
                codec = _codec(charset)
                if codec is None:
                    defects.append(f"UnknownCharsetDefect: header charset {str(charset)[:40]!r}")
                try:
                    out.append(chunk.decode(codec or "utf-8"))
                except (UnicodeDecodeError, LookupError):
                    defects.append(f"CharsetMismatchDefect: header is not valid {str(charset)[:40]!r}")
                    out.append(decode_bytes(chunk, None, []))
            else:
                out.append(chunk)
        return " ".join(o.strip() for o in out if o.strip())
    except Exception:
        defects.append("InvalidHeaderDefect: undecodable encoded word")
        return text.strip()
