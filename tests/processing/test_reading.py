"""What the pipeline reads from one message: the reply text it classifies."""

from __future__ import annotations

from triage.mail.report import describe_bytes
from triage.processing.reading import read

HTML_ONLY = (
    b"From: Ada <ada@example.org>\r\nTo: jobs@agency.example\r\nSubject: Re: Interview\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n\r\n"
    b"<html><body><div>Thursday at 10 works for me.</div>"
    b"<blockquote>Could you come in on Thursday?</blockquote></body></html>\r\n"
)


def test_html_only_mail_loses_its_quote_container_even_without_an_intro_line():
    reading = read(HTML_ONLY, frozenset())
    assert (reading.reply_text, reading.body_text) == (
        "Thursday at 10 works for me.",
        "Thursday at 10 works for me.\n\nCould you come in on Thursday?",
    )


def test_the_pipeline_reads_the_same_reply_text_as_triage_parse():
    assert read(HTML_ONLY, frozenset()).reply_text == describe_bytes(HTML_ONLY)["reply_text"]
