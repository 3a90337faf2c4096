"""Dates said to people read the same on every machine, whatever its locale."""

from datetime import UTC, date, datetime

from triage import dates


def test_an_email_says_the_whole_day():
    assert dates.long_day(date(2026, 12, 11)) == "Friday 11 December 2026"


def test_no_day_says_nothing():
    assert dates.long_day(None) == ""


def test_the_inbox_says_a_short_day():
    assert dates.short_day(datetime(2026, 3, 4, 9, 0, tzinfo=UTC)) == "4 Mar"


def test_a_moment_has_its_year_and_time():
    assert dates.moment(datetime(2026, 3, 4, 9, 5, tzinfo=UTC)) == "4 Mar 2026 09:05"
