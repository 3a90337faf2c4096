"""The shortcuts taken for speed give what the plain patterns they stand in for give."""

from __future__ import annotations

import re
from functools import cache

import pytest

from tests.shared_fixtures import shared_fixtures_dir
from triage.mail import autoreply
from triage.mail import forwarded_headers as words
from triage.mail import quote_headers as qh


@cache
def _fixture_lines() -> list[str]:
    """Every distinct line of the shared fixtures (skips when they are absent)."""
    lines: set[str] = set()
    for path in shared_fixtures_dir().rglob("*"):
        if path.is_file() and path.suffix in (".txt", ".html", ".eml"):
            lines.update(path.read_bytes().decode("utf-8", "replace").split("\n"))
    return sorted(lines)


def _header_line_by_pattern(line: str) -> tuple[str, str] | None:
    """header_line as one match of words.HEADER_LINE."""
    m = words.HEADER_LINE.match(line)
    name = words.field_for(m.group("key")) if m else None
    return (name, m.group("value").strip(qh._SPACE_LIKE + "*")) if name else None


# Quote marks, bold and blanks around the word, the colons, and values that end early.
_LEADS = ["", " ", "\t", "> ", ">>", "> > ", "  >  ", "**", "***", "> **", "\xa0", "\u202f"]
_TRAILS = ["", " ", "**", "***", "\xa0", "\u202f", "** ", " \u202f*"]
_VALUES = ["", " x", ":\xa0**Bob** ", "\u202fy", " a\nb", " a\n", "*\u202fz"]


def _crafted_lines() -> list[str]:
    keys = ["From", "DE LA", "de  la", "Kopie (CC)", "Reply\tTo", "送信元", "Fromm", "x", "Sent at"]
    return [
        lead + key + trail + colon + value
        for key in keys
        for lead in _LEADS
        for trail in _TRAILS
        for colon in (":", "：", "")
        for value in _VALUES
    ]


def test_header_line_matches_the_header_pattern_on_crafted_lines() -> None:
    differ = [line for line in _crafted_lines() if qh.header_line(line) != _header_line_by_pattern(line)]
    assert differ == []


def test_header_line_matches_the_header_pattern_on_fixture_lines() -> None:
    differ = [line for line in _fixture_lines() if qh.header_line(line) != _header_line_by_pattern(line)]
    assert differ == []


def test_attribution_verbs_found_as_without_the_initials_lookahead() -> None:
    plain = re.compile(r"(?<![\w])(?:" + words.WROTE_VERBS + r")(?![\w])", re.IGNORECASE)
    differ = [
        line
        for line in _fixture_lines()
        if [m.span() for m in qh._VERB.finditer(line)] != [m.span() for m in plain.finditer(line)]
    ]
    assert differ == []


def test_trailing_connectors_removed_as_without_the_initials_lookahead() -> None:
    plain = re.compile(r"(?:\s+(?:" + qh._CONNECTOR + r"))+$", re.IGNORECASE)
    differ = [
        line
        for line in _fixture_lines() + ["26 Jun 2014 a las", "2 de novembro de 2021 às"]
        if qh._TRAILING_CONNECTOR.sub("", line) != plain.sub("", line)
    ]
    assert differ == []


def _literal_runs(phrase: str) -> str:
    """The phrase with each group, class, wildcard and optional character replaced by a NUL."""
    for construct in (r"\(\?:[^()]*\)\??", r"\[[^\]]*\]\??", r"\.\{[^}]*\}", r".\?"):
        phrase = re.sub(construct, "\0", phrase)
    return phrase


@pytest.mark.parametrize("part", list(autoreply._OUT_OF_OFFICE_PHRASES))
def test_each_out_of_office_phrase_contains_the_text_it_is_filed_under(part: str) -> None:
    assert all(part in _literal_runs(p) for p in autoreply._OUT_OF_OFFICE_PHRASES[part])


@pytest.mark.parametrize(
    "text",
    [
        "I am out of the office until Monday",
        "Automatische Antwort: Urlaub",
        "Je suis absente jusqu'au 3",
        "auto-reply: away",
        "Ich bin bis 3. Juni nicht im Büro",
        "Estou fora até sexta",
        "自动回复: 不在",
    ],
)
def test_out_of_office_wording_is_found(text: str) -> None:
    assert autoreply._out_of_office(text.lower())
