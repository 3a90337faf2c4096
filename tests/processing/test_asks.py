"""Which attachments and links count as the candidate sending us something."""

from __future__ import annotations

import pytest

from triage.processing import asks


@pytest.mark.parametrize(
    ("found", "count"),
    [
        ([], 0),
        ([{"filename": "solution.zip", "content_type": "application/zip", "size": 120_000}], 1),
        ([{"filename": "cv.pdf", "content_type": "application/pdf", "size": 80_000}], 1),
        ([{"filename": "logo.png", "content_type": "image/png", "size": 4_000}], 0),
        ([{"filename": "screenshot.png", "content_type": "image/png", "size": 900_000}], 1),
        ([{"filename": "invite.ics", "content_type": "text/calendar", "size": 2_000}], 0),
        ([{"filename": None, "content_type": "application/pkcs7-signature", "size": 3_000}], 0),
        ([{"filename": "a.pdf", "content_type": "application/pdf", "size": None}, {"content_type": "image/gif"}], 1),
    ],
)
def test_attachments(found, count):
    assert asks.attachments(found) == count


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("", 0),
        (None, 0),
        ("Here is my solution: https://github.com/jane/take-home", 1),
        ("Repo: github.com/jane/x and demo at www.jane.dev/demo, thanks!", 1),
        ("https://a.example/1 and (https://b.example/2)", 2),
        ("Jane Doe\nhttps://www.linkedin.com/in/janedoe", 0),
        ("no links here, just thanks", 0),
    ],
)
def test_links(text, count):
    assert asks.links(text) == count
