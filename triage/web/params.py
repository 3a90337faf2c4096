"""Parameters from a query string, a form or a JSON body, read one way: a bad one is a 400 naming it.

Each reader takes the raw value (None when absent) and returns it typed and in range, or its
default when absent or empty; anything else is a BadInput, which errors.py turns into a 400.
Bounds matter as much as types: an id past PostgreSQL's integer, a limit of -1 or a date in
year 9999 are all well-formed and still end as a 500 deeper down.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

from triage.errors import BadInput

MAX_ID = 2**31 - 1  # ids are PostgreSQL integer columns
EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)  # leaves room for a day or a time zone either side
# Werkzeug's int converter, for ids in routes: a longer number is a 404 like any unknown id.
ID = f"int(min=1, max={MAX_ID})"
_INTEGER = re.compile(r"[+-]?[0-9]+")  # ASCII digits: "²".isdigit() is True, int("²") fails


def integer(value: object, name: str, *, default: int | None = None, low: int = 1, high: int = MAX_ID) -> int | None:
    """A whole number (an int, or a string of digits) from `low` to `high`."""
    if value is None or value == "":
        return default
    out_of_range = BadInput(f"{name} must be from {low} to {high}")
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        if len(value.strip()) > 20:  # past any bound, and int() of 5,000 digits is refused anyway
            raise out_of_range
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput(f"{name} must be a whole number")
    if not low <= value <= high:
        raise out_of_range
    return value


def identifiers(value: object, name: str) -> list[int]:
    """A list of ids (a JSON array of whole numbers)."""
    ids = [integer(item, name) for item in value] if isinstance(value, list) else None
    if ids is None or None in ids:
        raise BadInput(f"{name} must be a list of ids")
    return ids


def day(value: object, name: str, *, default: date | None = None) -> date | None:
    """A date like 2026-12-11, between EARLIEST and LATEST."""
    if value is None or value == "":
        return default
    try:
        parsed = date.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise BadInput(f"{name} must be a date like 2026-12-11")
    if not EARLIEST <= parsed <= LATEST:
        raise BadInput(f"{name} must be from {EARLIEST} to {LATEST}")
    return parsed


def moment(value: object, name: str) -> datetime:
    """A date and time with its time zone, like 2026-12-11T09:00:00+01:00 (or Z), between EARLIEST and LATEST."""
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00")) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None:
        raise BadInput(f"{name} must be a date-time with a time zone, like 2026-12-11T09:00:00+01:00")
    if when.tzinfo is None:
        raise BadInput(f"{name} must carry a time zone")
    if not EARLIEST <= when.date() <= LATEST:
        raise BadInput(f"{name} must be from {EARLIEST} to {LATEST}")
    return when


def choice(value: object, name: str, options: Iterable[str], *, default: str | None = None) -> str | None:
    """One of `options`, exactly."""
    if value is None or value == "":
        return default
    options = list(options)
    if not isinstance(value, str) or value not in options:
        shown = value if isinstance(value, str) and len(value) <= 40 else str(value)[:40] + "…"
        raise BadInput(f"unknown {name} {shown!r} (one of: {', '.join(options)})")
    return value


def text(value: object, name: str, *, default: str | None = None, longest: int = 1000) -> str | None:
    """A string of at most `longest` characters, without NUL (PostgreSQL stores no NUL in text)."""
    if value is None:
        return default
    if not isinstance(value, str) or "\x00" in value:
        raise BadInput(f"{name} must be text")
    if len(value) > longest:
        raise BadInput(f"{name} must be at most {longest} characters")
    return value


def strings(value: object, name: str) -> list[str]:
    """A list of strings (a JSON array), each as `text` takes it."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadInput(f"{name} must be a list of strings")
    return [text(item, name) for item in value]


def json_object(data: object, *, required: bool = True) -> dict:
    """A request body that must be a JSON object (or, when not `required`, may be absent)."""
    if data is None and not required:
        return {}
    if not isinstance(data, dict):
        raise BadInput("send a JSON object")
    return data
