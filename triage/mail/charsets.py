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
    # RFC 2231 lets an encoded word name its language: "=?utf-8*de?Q?...?=" is utf-8.
    name = charset.strip().strip("\"'").lower().split("*", 1)[0]
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
    mismatch = f"CharsetMismatchDefect: body is not valid {(declared or '')[:40]!r}"
    if codec:
        try:
            return data.decode(codec)
        except Exception:  # UnicodeDecodeError, LookupError, or worse from some codecs on hostile input
            if codec != "utf-8":
                defects.append(mismatch)
    if codec != "utf-8":
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    damaged = _damaged_utf8(data, declared_utf8=codec == "utf-8")
    if damaged is not None:
        text, bad = damaged
        defects.append(f"DamagedUtf8Defect: {bad} invalid UTF-8 byte sequence(s) shown as U+FFFD")
        return text
    if codec == "utf-8":
        defects.append(mismatch)
    return _detect(data)


# Why our own test rather than charset-normalizer: on UTF-8 text with one cut sequence the
# detector weighs the whole body as some other charset (cp932) and every accent turns to mojibake.
# Valid multi-byte UTF-8 sequences seldom arise by chance in other charsets: in candidate-mail
# sentences encoded as Latin-1, cp1250-1258, KOI8, Shift-JIS, EUC-JP/KR, GB18030, Big5 and TIS-620
# there were at most 0.42 of them per invalid sequence (Thai; Western and Cyrillic text: 0). So two
# or more per invalid sequence means UTF-8 with damage; one or more when the part says it is UTF-8
# (still twice the worst case). And an invalid run of two or more bytes is a UTF-8 sequence cut
# short (a lead byte and its continuation bytes), which other charsets hardly ever leave without
# lone invalid bytes beside it: a body whose only errors are a few such cuts is damaged UTF-8 too
# (an English reply with one broken quote mark, and no other non-ASCII letter to go by).
_C1_CONTROLS = re.compile("[\x80-\x9f]")  # what chance sequences often decode to; text never has them
_FEW_CUTS = 5


def _damaged_utf8(data: bytes, declared_utf8: bool) -> tuple[str, int] | None:
    """(text, number of invalid sequences) when `data` is UTF-8 with a little damage, else None."""
    text = data.decode("utf-8", errors="replace")
    replaced = text.count("\ufffd")
    bad = replaced - data.count("\ufffd".encode())  # one U+FFFD per invalid sequence
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    good = non_ascii - replaced - len(_C1_CONTROLS.findall(text))
    if good >= (1 if declared_utf8 else 2) * bad or (bad <= _FEW_CUTS and _only_cut_sequences(data)):
        return text, bad
    return None


def _only_cut_sequences(data: bytes) -> bool:
    """Every invalid run is a UTF-8 sequence cut short, none a lone byte (as a Latin-1 letter is)."""
    pos = 0
    while True:
        try:
            data[pos:].decode("utf-8")
            return True
        except UnicodeDecodeError as exc:
            if exc.end - exc.start < 2:
                return False
            pos += exc.end


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
        pass
    try:  # letters beside the surrogates (a value not read from bytes) go back to UTF-8
        data = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        data = value.encode("utf-8", "replace")
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
    except Exception:  # a broken word, or an unknown or lying charset: decode word by word
        pass
    return _decode_words(text, defects).strip()


def _decode_words(text: str, defects: list[str]) -> str:
    """Decode each encoded word on its own, so one broken word does not keep the rest encoded.

    A word that cannot be decoded stays as written. As RFC 2047 says, blanks between two decoded
    words go; and adjacent words in one charset are joined as bytes first, as decode_header does,
    since mailers split a multi-byte character across two words.
    """
    pieces: list[str | tuple[bytes, str | None]] = []  # plain text, or a decoded word's bytes
    last = 0
    for match in email.header.ecre.finditer(text):  # the stdlib's own pattern for an encoded word
        between = text[last : match.start()]
        word = _decode_word(match.group(0))
        if word is None:
            defects.append(f"InvalidHeaderDefect: undecodable encoded word kept as written: {match.group(0)[:40]!r}")
        if not (word is not None and pieces and isinstance(pieces[-1], tuple) and not between.strip()):
            pieces.append(between)
        if word is None:
            pieces.append(match.group(0))
        elif pieces and isinstance(pieces[-1], tuple) and pieces[-1][1] == word[1]:
            pieces[-1] = (pieces[-1][0] + word[0], word[1])
        else:
            pieces.append(word)
        last = match.end()
    pieces.append(text[last:])
    return "".join(_word_text(piece, defects) for piece in pieces)


def _decode_word(word: str) -> tuple[bytes, str | None] | None:
    """The bytes and charset of one encoded word; None when it cannot be decoded."""
    try:
        ((data, charset),) = email.header.decode_header(word)
    except Exception:  # HeaderParseError (bad base64), or a shape decode_header does not take
        return None
    return (data, charset) if isinstance(data, bytes) else None


def _word_text(piece: str | tuple[bytes, str | None], defects: list[str]) -> str:
    if isinstance(piece, str):
        return piece
    data, charset = piece
    codec = _codec(charset)
    if codec is None:
        defects.append(f"UnknownCharsetDefect: header charset {str(charset)[:40]!r}")
    try:
        return data.decode(codec or "utf-8")
    except Exception:  # UnicodeDecodeError, or worse from some codecs on hostile input
        defects.append(f"CharsetMismatchDefect: header is not valid {str(charset)[:40]!r}")
        return decode_bytes(data, None, [])
