"""Messages from files: .eml files, mbox files and Maildir folders (the stdlib mailbox module)."""

from __future__ import annotations

import email.utils
import logging
import mailbox
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from triage.intake.accept import split_header

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Item:
    """One message found in a path: where it came from, and its bytes (None when unreadable)."""

    source: str
    raw: bytes | None
    error: str | None = None


def is_maildir(path: Path) -> bool:
    return path.is_dir() and all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


def is_mbox(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(5) == b"From "
    except OSError:
        return False


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
    n, previous_blank = 0, True
    with path.open("rb") as handle:
        for line in handle:
            if line.startswith(b"From ") and previous_blank:
                n += 1
            previous_blank = line in (b"\n", b"\r\n")
    return n


def items(paths: list[Path]) -> Iterator[Item]:
    """Yield every message in the paths, in order; an unreadable file is an Item with an error."""
    for path in paths:
        if is_maildir(path):
            yield from _maildir(path)
        elif path.is_dir():
            yield from items(sorted(p for p in path.iterdir() if not p.name.startswith(".")))
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
    box = mailbox.mbox(path, create=False)
    try:
        for number, key in enumerate(box.iterkeys(), start=1):
            try:
                yield Item(f"{path}#{number}", box.get_bytes(key))
            except (OSError, KeyError) as exc:
                yield Item(f"{path}#{number}", None, f"cannot read: {exc}")
    finally:
        box.close()


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
