"""Read an uploaded CSV export: size cap, encoding (UTF-8, UTF-8 with BOM, UTF-16, Windows-1252), delimiter.

Every way a file can be unreadable ends in a BadInput that says what to do about it; nothing
here evaluates a cell (a formula such as =HYPERLINK(...) stays the text it is). A quote that is
never closed is refused with the line it opens on: read leniently, it would swallow every row
after it into one cell.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass

from triage.errors import BadInput, TooLarge

MAX_BYTES = 20 * 1024 * 1024  # 10,000 applicants are about 1 MB; anything near this is not an export
ENCODINGS = (("utf-8-sig", "UTF-8"), ("cp1252", "Windows-1252"))
DELIMITERS = ",;\t|"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}
LINE_BREAK = re.compile(r"\r\n|\r|\n")  # what io.StringIO(newline="") and so csv count as one line


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line number in the file, cells)
    encoding: str  # as a person names it: "UTF-8", "Windows-1252"
    delimiter: str


def _utf16(data: bytes) -> str | None:
    """The codec of UTF-16 text (Excel's "Unicode Text"): by its byte order mark, else by its NUL bytes."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # the codec reads the mark and drops it
    sample = data[:4096]
    even, odd = sample[0::2], sample[1::2]
    # Mostly-ASCII UTF-16 without a mark: every other byte is NUL, and only those.
    if len(sample) >= 8 and odd.count(0) >= 0.9 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if len(sample) >= 8 and even.count(0) >= 0.9 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the name of the encoding it was read in."""
    if len(data) > MAX_BYTES:
        raise TooLarge(
            f"the file is {len(data) / 2**20:.1f} MB; an applicant export is at most {MAX_BYTES // 2**20} MB"
        )
    if not data.strip():
        raise BadInput("the file is empty")
    utf16 = _utf16(data)
    if utf16 is not None:
        try:
            text = data.decode(utf16)
        except UnicodeDecodeError as exc:
            raise BadInput(
                f"the file is UTF-16 text that does not decode (at byte {exc.start}); save it as CSV UTF-8"
            ) from None
        if not text.strip():
            raise BadInput("the file is empty")
        return text, "UTF-16"
    if b"\x00" in data[:65536]:
        raise BadInput("this is not a CSV text file (it holds binary data); export the candidates as CSV")
    failure = None
    for codec, name in ENCODINGS:
        try:
            return data.decode(codec), name
        except UnicodeDecodeError as exc:
            failure = exc
    raise BadInput(
        f"the file is neither UTF-8 nor Windows-1252 (byte 0x{data[failure.start]:02x} at position {failure.start}); "
        "save it as CSV UTF-8"
    )


def _delimiter(text: str) -> str:
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        # The sniffer gives up on one-column or very regular files: count in the header line.
        first = sample.splitlines()[0] if sample else ""
        return max(DELIMITERS, key=first.count) if any(d in first for d in DELIMITERS) else ","


def read(data: bytes) -> Table:
    """Decode and split a CSV file into its header and its non-empty rows, with line numbers."""
    text, encoding = decode(data)
    delimiter = _delimiter(text)
    lines = io.StringIO(text, newline="").readlines()  # newline="": csv sees "\r\n" inside a quoted cell as it is
    # strict: an unclosed quote or text after a closing quote is an error, not a cell that runs on to the end.
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    header: list[str] = []
    start = 1
    try:
        header = next(reader, None) or []
        if not any(cell.strip() for cell in header):
            raise BadInput("the file has no header line (the column names)")
        rows = []
        start = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise BadInput(
            _quote_problem(lines, start, delimiter, [c.strip() for c in header])
            or f"line {reader.line_num}: not valid CSV ({exc})"
        ) from None
    return Table([cell.strip() for cell in header], rows, encoding, delimiter)


def column_name(header: list[str], index: int) -> str:
    """A column as the file names it, for messages: 'Source', or number 8 past the header."""
    name = header[index] if index < len(header) else ""
    return f"'{name}'" if name else f"number {index + 1}"


def _quote_problem(lines: list[str], start: int, delimiter: str, header: list[str]) -> str | None:
    """Say which quoted cell broke the record that begins on line `start`, and where it opens.

    The csv module tells neither where a cell starts nor which one failed, so this walks the
    record's text by the same rules (a quote opens a cell only as its first character; "" inside
    is one quote) until the cell that does not close where it should.
    """
    text = "".join(lines[start - 1 :])
    pos, line, cell = 0, start, 0
    while pos < len(text):
        if text[pos] == '"':
            opened, pos = line, pos + 1
            while True:
                close = text.find('"', pos)
                if close == -1:
                    swallowed = "".join(lines[opened:]).strip()
                    after = "rows after it would be swallowed" if swallowed else "close it or remove it"
                    return f"line {opened}: a quote in column {column_name(header, cell)} is never closed; {after}"
                line += len(LINE_BREAK.findall(text, pos, close))
                if text.startswith('""', close):
                    pos = close + 2
                    continue
                pos = close + 1
                break
            if pos < len(text) and text[pos] not in (delimiter, "\r", "\n"):
                runs_on = f" runs on to line {line} and" if line > opened else ""
                return (
                    f"line {opened}: the quoted cell in column {column_name(header, cell)}{runs_on} has text after "
                    'its closing quote: a closing quote is missing, or a quote inside the cell is not doubled ("")'
                )
        else:
            while pos < len(text) and text[pos] not in (delimiter, "\r", "\n"):
                pos += 1
        if pos >= len(text) or text[pos] != delimiter:
            return None  # the record ended well: the error was something else
        pos += 1
        cell += 1
    return None
