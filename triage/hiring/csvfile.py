"""Read an uploaded CSV export: size cap, encoding (UTF-8, UTF-8 with BOM, Windows-1252), delimiter.

Every way a file can be unreadable ends in a BadInput that says what to do about it; nothing
here evaluates a cell (a formula such as =HYPERLINK(...) stays the text it is).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

from triage.errors import BadInput, TooLarge

MAX_BYTES = 20 * 1024 * 1024  # 10,000 applicants are about 1 MB; anything near this is not an export
ENCODINGS = (("utf-8-sig", "UTF-8"), ("cp1252", "Windows-1252"))
DELIMITERS = ",;\t|"


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line number in the file, cells)
    encoding: str  # as a person names it: "UTF-8", "Windows-1252"
    delimiter: str


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the name of the encoding it was read in."""
    if len(data) > MAX_BYTES:
        raise TooLarge(
            f"the file is {len(data) / 2**20:.1f} MB; an applicant export is at most {MAX_BYTES // 2**20} MB"
        )
    if not data.strip():
        raise BadInput("the file is empty")
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
    reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter, strict=False)
    try:
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise BadInput("the file has no header line (the column names)")
        rows = []
        start = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise BadInput(f"line {reader.line_num}: not valid CSV ({exc})") from None
    return Table([cell.strip() for cell in header], rows, encoding, delimiter)
