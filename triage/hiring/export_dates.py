"""Dates as ATS exports write them: ISO, "Nov 3, 2026 2:15 PM", "03/11/2026", epoch seconds or ms.

A date must name a day, a month and a year ("Monday" or "12 Oct" is refused, not read as a day in
2000); whether 03/11/2026 is day or month first is the caller's choice (applicants decides it once
per column from the values).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from functools import lru_cache

from dateutil import parser as dateparser

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
DAY_FIRST, MONTH_FIRST = "day/month/year", "month/day/year"
# Day and month as numbers before a 2- or 4-digit year (13/10/2026, 01.10.2026, 3-11-26 14:00): the forms whose
# order a file must decide. A year written first (2026/10/01) is always year/month/day.
NUMERIC_DATE = re.compile(r"(\d{1,2})([/.\- ])(\d{1,2})\2(\d{4}|\d{2})(?!\d)")
# Two defaults that differ in year, month and day: a part that changes with the default was not in the text.
DEFAULTS = (datetime(2000, 1, 1), datetime(2001, 2, 2))


def parse_date(text: str, what: str, zone: tzinfo = UTC, day_first: bool | None = False) -> datetime | None:
    """A date or date-time as exports write it (ISO, "Nov 3, 2026 2:15 PM", "03/11/2026", epoch ms).

    It must name a day, a month and a year. day_first says how to read 03/11/2026 (None: either, when
    the column's order is already reported as mixed); a dotted 03.11.2026 is always day first.
    """
    text = text.strip()
    if not text:
        return None
    return _parse_date(text, what, zone, day_first)


@lru_cache(maxsize=4096)  # exports repeat the same days and times many times over
def _parse_date(text: str, what: str, zone: tzinfo, day_first: bool | None) -> datetime:
    numeric = NUMERIC_DATE.match(text)
    if numeric and numeric.group(2) == ".":
        day_first = True  # 01.10.2026 is 1 October wherever dots are written
    if numeric and day_first is not None:
        month = int(numeric.group(3) if day_first else numeric.group(1))
        if month > 12:
            order = "day.month.year" if numeric.group(2) == "." else (DAY_FIRST if day_first else MONTH_FIRST)
            raise ValueError(f"{what}: {text[:40]!r} is not a date read as {order}")
    try:
        if text[:4].isdigit() and text[4:5] == "-":  # ISO 8601, what most exports write: the fast path
            when = _iso(text) or _named(text, what, dayfirst=False)
        elif text.isdigit() and len(text) in (10, 13):  # Unix seconds or milliseconds (Lever's API exports)
            when = datetime.fromtimestamp(int(text) / (1000 if len(text) == 13 else 1), UTC)
        else:
            when = _named(text, what, dayfirst=bool(numeric and day_first))
    except _Partial:
        raise
    except (ValueError, OverflowError):
        raise ValueError(f"{what}: {text[:40]!r} is not a date") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    if not EARLIEST <= when <= datetime(2999, 1, 1, tzinfo=UTC):
        raise ValueError(f"{what}: {text[:40]!r} is out of range")
    return when.astimezone(UTC)


class _Partial(ValueError):
    """A text dateutil reads, but that lacks the day, the month or the year."""


def _named(text: str, what: str, dayfirst: bool) -> datetime:
    """dateutil's reading of a text that must name a day, a month and a year ("Monday" or "12 Oct" do not)."""
    first, second = (dateparser.parse(text, dayfirst=dayfirst, default=default) for default in DEFAULTS)
    if first.year != second.year:
        raise _Partial(f"{what}: {text[:40]!r} is not a date with a year")
    if (first.month, first.day) != (second.month, second.day):
        raise _Partial(f"{what}: {text[:40]!r} is not a full date (a day, a month and a year)")
    return first


def _iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
