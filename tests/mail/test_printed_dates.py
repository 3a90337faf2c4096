"""Dates that mail clients print above a forward, in the forwarder's language."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.mail.peer_cases import case_names, load, read_text
from triage.mail.forwarded import unwrap_text
from triage.mail.printed_dates import read_date
from triage.mail.report import describe_bytes

EEST = timezone(timedelta(hours=3))


@pytest.mark.parametrize(
    "text",
    [
        "26. Oktober 2021 um 14:25:08 OESZ",  # German Apple Mail
        "26. října 2021 14:25:08 GMT+3",  # Czech
        "26. oktober 2021 kl. 14.25.08 EEST",  # Danish: a time with dots
        "26 de octubre de 2021, 14:25:08 EEST",  # Spanish
        "26. lokakuuta 2021 klo 14.25.08 UTC+3",  # Finnish
        "26 octobre 2021 à 14:25:08 UTC+3",  # French
        "26 oktober 2021 om 14:25:08 EEST",  # Dutch
        "26 de outubro de 2021, 14:25:08 EEST",  # Portuguese
        "26 ottobre 2021 14:25:08 EEST",  # Italian
        "26 października 2021 o 14:25:08 EEST",  # Polish
        "26 oktober 2021 14:25:08 EEST",  # Swedish
        "Tue, 26 Oct 2021 14:25:08 +0300",  # RFC 5322
    ],
)
def test_a_localized_date_with_a_zone_is_read_exactly(text: str) -> None:
    assert read_date(text) == datetime(2021, 10, 26, 14, 25, 8, tzinfo=EEST)


@pytest.mark.parametrize(
    "text",
    [
        "Mi., 27. Okt. 2021 um 09:31 Uhr",
        "K, 27. oktoober 2021 kell 09:31",
        "quarta, 27/10/2021 à(s) 09:31",
        "ke 27. lokak. 2021 klo 9.31",
        "Wednesday, October 27, 2021 9:31 AM",
    ],
)
def test_a_date_without_a_zone_is_the_writers_local_time(text: str) -> None:
    assert read_date(text) == datetime(2021, 10, 27, 9, 31)


def test_a_japanese_date_with_its_weekday_is_read() -> None:
    assert read_date("2022年9月19日月曜日 17:55:44 -0400") == datetime(2022, 9, 19, 21, 55, 44, tzinfo=UTC).astimezone(
        timezone(timedelta(hours=-4))
    )


@pytest.mark.parametrize("text", ["", "   ", "not a date at all", "yesterday", "3 days ago", "x" * 500, None])
def test_what_is_not_a_printed_date_gives_none(text) -> None:
    assert read_date(text) is None


FORWARD = """Can you pick this up?

Anfang der weitergeleiteten Nachricht:

Von: Ada Candidate <ada@example.org>
Datum: 26. Oktober 2021 um 14:25:08 OESZ
An: Rita <rita@example.com>
Betreff: Bewerbung

Gibt es etwas Neues?
"""


def test_triage_parse_gives_a_german_forwards_original_date() -> None:
    raw = (
        "From: Rita <rita@example.com>\nTo: jobs@example.com\nSubject: WG: Bewerbung\n"
        "Date: Wed, 27 Oct 2021 08:00:00 +0000\n\n" + FORWARD
    ).encode()
    found = describe_bytes(raw)
    assert (found["original_date"], found["original_date_raw"], found["forward_note"]) == (
        "2021-10-26T14:25:08+03:00",
        "26. Oktober 2021 um 14:25:08 OESZ",
        "Can you pick this up?",
    )


SUITE = ("forwarded", "crisp-email-forward-parser")


@pytest.mark.parametrize("name", case_names(*SUITE))
def test_every_crisp_forward_gets_its_original_date(name: str) -> None:
    expected, base = load(SUITE, name)
    if not expected.get("forwarded"):
        pytest.skip("not a forward")
    subject = read_text(base / expected["input_subject_file"]) if "input_subject_file" in expected else None
    forward = unwrap_text(read_text(base / f"{name}.txt"), subject)
    assert forward is not None and read_date(forward.date) is not None, json.dumps(forward.date if forward else None)
