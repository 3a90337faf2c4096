"""Read the date a mail client printed above a forwarded or quoted message, in any language.

Clients print the original's date in the forwarder's language ("26. Oktober 2021 um 14:25:08
OESZ", "ke 27. lokak. 2021 klo 9.31"). RFC 5322 and plain English dates are read by the stdlib
and dateutil (fast); the rest by dateparser, which knows the month and weekday names of some 200
locales. Before it, the few spellings it does not take are rewritten: times written with dots,
local zone abbreviations (OESZ, SEČ) and the little words between date and time.
"""

from __future__ import annotations

import email.utils
import logging
import re
import warnings
from datetime import datetime
from functools import lru_cache

from dateutil import parser as date_parser

log = logging.getLogger(__name__)

MAX_LENGTH = 200  # a printed date is one short line; anything longer is not one

# Zone abbreviations as clients print them, with their UTC offsets. dateparser knows the English
# ones only in some languages' sentences, and the German/Czech/Slovak names (OESZ, SEČ) not at all.
ZONES = {
    "OESZ": "+0300",
    "OEZ": "+0200",
    "MESZ": "+0200",
    "MEZ": "+0100",
    "WESZ": "+0100",
    "WEZ": "+0000",
    "SELČ": "+0200",
    "SEČ": "+0100",
    "EEST": "+0300",
    "EET": "+0200",
    "CEST": "+0200",
    "CET": "+0100",
    "WEST": "+0100",
    "WET": "+0000",
    "BST": "+0100",
    "IST": "+0530",
    "MSK": "+0300",
    "EDT": "-0400",
    "EST": "-0500",
    "CDT": "-0500",
    "CST": "-0600",
    "MDT": "-0600",
    "MST": "-0700",
    "PDT": "-0700",
    "PST": "-0800",
    "UTC": "+0000",
    "GMT": "+0000",
}
_ZONE = re.compile(r"(?<!\w)(" + "|".join(ZONES) + r")(?!\w)")
# "UTC+3", "GMT+03:00", "GMT-4": an offset dateparser and dateutil read as "+0300".
_OFFSET = re.compile(r"(?<!\w)(?:UTC|GMT)\s*([+-])(\d{1,2})(?::?(\d{2}))?(?!\d)")
# Danish, Finnish and Norwegian write times as 14.25.08: dateparser wants 14:25:08.
_DOTTED_TIME = re.compile(r"(?<![\d.:/])([01]?\d|2[0-3])\.([0-5]\d)(?:\.([0-5]\d))?(?![\d.])")
# Words between the date and the time ("um", "kell", "à(s)"), a Japanese weekday, and a leading
# weekday: dropped on the second try, when the whole line was not understood.
_FILLERS = re.compile(
    r"(?<!\w)(?:kell|à\(s\)|às|alle ore|alle|um|om|kl\.?|klo|kello|den|o|u|в|о|г\.|р\.|Uhr)(?!\w)", re.IGNORECASE
)
_CJK_WEEKDAY = re.compile(r"[月火水木金土日]曜日|星期[一二三四五六日天]")
_LEADING_WORD = re.compile(r"^\s*[^\W\d]+\.?,?\s+(?=\d)")

_SETTINGS = {
    "PREFER_DATES_FROM": "past",
    "PARSERS": ["absolute-time"],  # never "yesterday" or "3 days ago": a header prints a date
    "STRICT_PARSING": False,
}


def read_date(text: str | None) -> datetime | None:
    """The date in a printed header value, or None when it cannot be read.

    Aware when the text names a zone or offset; naive (the writer's local time) otherwise."""
    if not text:
        return None
    text = " ".join(text.split())
    if not text or len(text) > MAX_LENGTH:
        return None
    try:
        return _usable(email.utils.parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    try:
        return _usable(datetime.fromisoformat(text))
    except ValueError:
        pass
    return _read_localized(_normalize(text))


def _normalize(text: str) -> str:
    text = _OFFSET.sub(lambda m: f"{m.group(1)}{int(m.group(2)):02d}{m.group(3) or '00'}", text)
    text = _ZONE.sub(lambda m: ZONES[m.group(1)], text)
    return _DOTTED_TIME.sub(lambda m: f"{m.group(1)}:{m.group(2)}" + (f":{m.group(3)}" if m.group(3) else ""), text)


@lru_cache(maxsize=4096)  # a thread or a bulk import repeats the same printed dates
def _read_localized(text: str) -> datetime | None:
    found = _english(text)
    if found is not None:
        return found
    found = _dateparser(text)
    if found is None:
        bare = _LEADING_WORD.sub("", _CJK_WEEKDAY.sub(" ", _FILLERS.sub(" ", text)))
        found = _dateparser(" ".join(bare.split()))
    return found


def _english(text: str) -> datetime | None:
    """dateutil, strictly (no fuzzy skipping: that turns "27. oktoober" into this month's 27th)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an unknown zone name: dateparser gets its turn
            return _usable(date_parser.parse(text))
    except (ValueError, OverflowError, TypeError):
        return None


def _dateparser(text: str) -> datetime | None:
    import dateparser  # lazy: its locale data take ~0.3 s to load, and most mail never needs it

    try:
        return _usable(dateparser.parse(text, settings=_SETTINGS))
    except (ValueError, OverflowError, TypeError, AttributeError, KeyError) as exc:
        log.debug("printed date not understood: %s", type(exc).__name__)
        return None


def _usable(when: datetime | None) -> datetime | None:
    """`when`, if its offset is one Python can use and its year is plausible for mail."""
    if when is None:
        return None
    when.utcoffset()  # dateutil accepts "+9999", which fails later
    return when if 1970 <= when.year <= 9999 else None
