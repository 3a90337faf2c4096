"""Messages from files: .eml files, mbox files and Maildir folders.

Maildir goes through the stdlib mailbox module; mbox files are split here (see _SEPARATOR).
Every message is checked with the rule HTTP intake uses: what is not an email is refused, by name.
"""

from __future__ import annotations

import email.utils
import logging
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from triage.intake.accept import not_email_reason, split_header

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Item:
    """One message found in a path: where it came from, and its bytes (None: unreadable or not an email)."""

    source: str
    raw: bytes | None
    error: str | None = None


def is_maildir(path: Path) -> bool:
    return path.is_dir() and all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


# An mbox message starts at a "From " line only when it is a real separator: "From ", the
# envelope sender as one word, then a ctime date as mail tools write it ("Thu Nov  5 10:00:00
# 2026", also with a zone before or after the year), after a blank line or at the start of the
# file. The sender is any word, not only an address: Thunderbird writes "From - <date>", local
# mail "From MAILER-DAEMON" or "From root"; the date is what tells a separator from a sentence.
# Written here because the stdlib's mailbox.mbox splits at every line that starts with "From "
# (in a private method, with no option to be stricter), which cut messages whose body had a
# line such as "From my side there is no rush"; and it does not undo ">From " escaping.
_SEPARATOR = re.compile(
    rb"From \S+[ \t]+"
    rb"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),?[ \t]+"
    rb"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[ \t]+\d{1,2}[ \t]+"
    rb"\d{1,2}:\d{2}(?::\d{2})?[ \t]+"
    rb"(?:(?:[A-Za-z]{1,5}|[+-]\d{4})[ \t]+)?"
    rb"\d{4}"
    rb"(?:[ \t][^\r\n]*)?\r?\n?\Z"
)
_ESCAPED_FROM = re.compile(rb">+From ")  # mboxrd: a body line "From ..." was written as ">From ..."
_BLANK = (b"\n", b"\r\n")


def is_mbox(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return _starts_message(handle.readline(1000), _BLANK[0])
    except OSError:
        return False


def _starts_message(line: bytes, previous: bytes) -> bool:
    return previous in _BLANK and line.startswith(b"From ") and _SEPARATOR.match(line) is not None


def count(paths: list[Path]) -> int:
    """How many messages the paths hold (for the progress bar); cheap for .eml and Maildir."""
    total = 0
    for path in paths:
        if is_maildir(path):
            total += sum(1 for sub in ("cur", "new") for f in (path / sub).iterdir() if f.is_file())
        elif path.is_dir():
            total += count(sorted(p for p in path.iterdir() if not p.name.startswith(".")))
        elif is_mbox(path):
            total += _mbox_count(path)
        else:
            total += 1
    return total


def _mbox_count(path: Path) -> int:
    n, previous = 0, _BLANK[0]
    with path.open("rb") as handle:
        for line in handle:
            if _starts_message(line, previous):
                n += 1
            previous = line
    return n


def items(paths: list[Path]) -> Iterator[Item]:
    """Yield every message in the paths, in order; an unreadable file, or one that is not an email
    (the rule HTTP intake answers 400 with), is an Item with an error."""
    for item in _found(paths):
        reason = not_email_reason(item.raw) if item.raw is not None else None
        yield Item(item.source, None, f"not an email: {reason}") if reason else item


def _found(paths: list[Path]) -> Iterator[Item]:
    for path in paths:
        if is_maildir(path):
            yield from _maildir(path)
        elif path.is_dir():
            yield from _found(sorted(p for p in path.iterdir() if not p.name.startswith(".")))
        elif is_mbox(path):
            yield from _mbox(path)
        else:
            try:
                yield Item(str(path), path.read_bytes())
            except OSError as exc:
                yield Item(str(path), None, f"cannot read: {exc.strerror or exc}")


def _maildir(path: Path) -> Iterator[Item]:
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in sorted(box.iterkeys()):
        try:
            yield Item(f"{path}:{key}", box.get_bytes(key))
        except (OSError, KeyError) as exc:
            yield Item(f"{path}:{key}", None, f"cannot read: {exc}")


def _mbox(path: Path) -> Iterator[Item]:
    """The messages of an mbox file (is_mbox: its first line is a separator), one at a time."""
    number, previous = 0, _BLANK[0]
    lines: list[bytes] | None = None
    try:
        with path.open("rb") as handle:
            for line in handle:
                if _starts_message(line, previous):
                    if lines is not None:
                        number += 1
                        yield Item(f"{path}#{number}", _message(lines))
                    lines = []
                elif lines is not None:
                    lines.append(line[1:] if _ESCAPED_FROM.match(line) else line)
                previous = line
    except OSError as exc:
        yield Item(f"{path}#{number + 1}", None, f"cannot read: {exc.strerror or exc}")
        return
    if lines is not None:
        yield Item(f"{path}#{number + 1}", _message(lines))


def _message(lines: list[bytes]) -> bytes:
    # The blank line before the next separator belongs to the mbox, not the message; dropped only
    # when it is a bare "\n", as the stdlib does, so that a file imported before deduplicates.
    if lines and lines[-1] == b"\n":
        lines.pop()
    return b"".join(lines)


def header_date(raw: bytes) -> datetime | None:
    """The Date header as an aware UTC datetime (for --received-from-date), or None."""
    header, _ = split_header(raw)
    for line in header.replace(b"\r\n", b"\n").split(b"\n"):
        if line[:5].lower() == b"date:":
            try:
                when = email.utils.parsedate_to_datetime(line[5:].decode("ascii", "replace").strip())
            except (TypeError, ValueError, IndexError):
                return None
            if when is None:
                return None
            return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return None
