"""How Triage says a date to a person: the same words on every machine.

Spelled out here because strftime's %A, %B and %b follow the process locale: a worker started
under de_DE would write "Freitag" into an English email.
"""

from __future__ import annotations

from datetime import date, datetime

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def long_day(day: date | datetime | None) -> str:
    """'Friday 12 December 2026' (empty for None): what emails to candidates say."""
    if day is None:
        return ""
    return f"{DAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def short_day(day: date | datetime) -> str:
    """'12 Dec': the reasons and lists in the inbox."""
    return f"{day.day} {MONTHS[day.month - 1][:3]}"


def moment(when: datetime) -> str:
    """'12 Dec 2026 14:05' in the moment's own time zone (the inbox shows UTC)."""
    return f"{short_day(when)} {when.year} {when:%H:%M}"
