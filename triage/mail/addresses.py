"""Names and addresses out of the loose "From:"/"To:" text that mail clients print in bodies."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Mailbox:
    """A display name and an address; either may be missing."""

    name: str | None
    address: str | None

    def as_dict(self) -> dict[str, str | None]:
        """Return {"name", "address"} for JSON."""
        return {"name": self.name, "address": self.address}


# Outlook's plain-text rendering appends "<mailto:...>" to every address it prints.
_MAILTO_SUFFIX = re.compile(r"<mailto:[^<>]*>", re.IGNORECASE)
_BRACKET_MAILTO = re.compile(r"\[mailto:([^\]\s]+)\]", re.IGNORECASE)
_PAREN_ADDRESS = re.compile(r"\(\s*<?\s*([^()<>\s]+@[^()<>\s]+?)\s*>?\s*\)")
_ANGLE = re.compile(r"<\s*(?:mailto:)?([^<>\s]*@[^<>\s]*)\s*>|([^\s<>,;\"'«»„“”()\[\]]+@[^\s<>,;\"'«»„“”()\[\]]+)")
_FOLLOWED_BY_ANGLE = re.compile(r"[\"'”»]*\s*<")
_NAME_JUNK = " \t\r\n,;:\"'«»„“”‘’`*"


def _clean_name(raw: str, address: str | None) -> str | None:
    name = raw.strip(_NAME_JUNK)
    # Quotes nest in the wild ("'x@y'"): peel until stable.
    while True:
        peeled = name.strip(_NAME_JUNK)
        if peeled == name:
            break
        name = peeled
    name = " ".join(name.split())
    if not name or (address and name.casefold() == address.casefold()):
        return None
    return name


def _normalise(value: str) -> str:
    value = _MAILTO_SUFFIX.sub("", value)
    value = _BRACKET_MAILTO.sub(r"<\1>", value)
    return _PAREN_ADDRESS.sub(r"<\1>", value)


def parse_mailboxes(value: str | None) -> list[Mailbox]:
    """Split a header value such as 'A, B <b@x>; "C" <c@y>' into mailboxes, keeping commas in names."""
    if not value or not value.strip():
        return []
    value = _normalise(value)
    found: list[Mailbox] = []
    pos = 0
    for m in _ANGLE.finditer(value):
        if m.group(2) is not None and _FOLLOWED_BY_ANGLE.match(value, m.end()):
            continue  # a bare address used as the display name of the <address> that follows
        address = (m.group(1) or m.group(2)).strip(".") or None
        name = _clean_name(value[pos : m.start()], address) if m.group(1) is not None else None
        if m.group(2) is not None:
            leftover = _clean_name(value[pos : m.start()], address)
            if leftover:
                found.append(Mailbox(leftover, None))
        found.append(Mailbox(name, address))
        pos = m.end()
    rest = value[pos:]
    if not found:
        name = _clean_name(rest, None)
        return [Mailbox(name, None)] if name else []
    return found


def parse_mailbox(value: str | None) -> Mailbox:
    """Return the first mailbox of a header value ("X on behalf of Y" gives X)."""
    boxes = parse_mailboxes(value)
    return boxes[0] if boxes else Mailbox(None, None)


# Most headers hold one plain "Name <a@b>" or "a@b": read those without the stdlib's slow
# character-by-character address parser; anything with quotes, commas or comments goes to it.
_SIMPLE = re.compile(
    r"\s*(?:([^\"<>,;:()\\@\s][^\"<>,;:()\\@]*?)\s*)?<([^<>\s,;:()\"\\@]+@[^<>\s,;:()\"\\@]+)>\s*"
    r"|\s*([^<>\s,;:()\"\\@]+@[^<>\s,;:()\"\\@]+)\s*"
)


def simple_address(value: str) -> tuple[str, str] | None:
    """(display name, address) of a plain one-address header value, or None for anything else."""
    m = _SIMPLE.fullmatch(value)
    if not m:
        return None
    return " ".join((m.group(1) or "").split()), m.group(2) or m.group(3)
