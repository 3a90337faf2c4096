"""`triage parse`: one line per file, in order, JSON with the DESIGN.md fields."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from triage.mail.cli import parse_command

FIELDS = {
    "file",
    "message_id",
    "from",
    "original_from",
    "subject",
    "original_subject",
    "date",
    "original_date",
    "forwarded",
    "body_text",
    "reply_text",
    "original_body",
    "forward_note",
    "auto_reply",
    "in_reply_to",
    "references",
    "defects",
}

FORWARD = (
    b"From: Recruiter <r@acme.example>\r\nSubject: Fwd: Application\r\nMessage-ID: <1@acme>\r\n"
    b"Date: Mon, 2 Jun 2025 10:00:00 +0000\r\n\r\nCan you look?\r\n\r\n"
    b"---------- Forwarded message ---------\r\nFrom: Cand Idate <cand@mail.example>\r\n"
    b"Date: Sun, 1 Jun 2025 at 09:00\r\nSubject: Application\r\nTo: <r@acme.example>\r\n\r\n"
    b"Any update on my application?\r\n\r\nOn Fri, 30 May 2025 at 10:00, Recruiter <r@acme.example> wrote:\r\n"
    b"> We will be in touch.\r\n\r\n-- \r\nCand\r\n"
)


def test_json_lines_in_order_with_error_line(tmp_path: Path) -> None:
    good = tmp_path / "fwd.eml"
    good.write_bytes(FORWARD)
    result = CliRunner().invoke(parse_command, ["--json", str(good), str(tmp_path / "missing.eml")])
    first, second = [json.loads(line) for line in result.output.splitlines()]
    assert FIELDS <= first.keys()
    assert (first["forwarded"], first["original_from"], first["reply_text"], first["forward_note"]) == (
        True,
        {"name": "Cand Idate", "address": "cand@mail.example"},
        "Any update on my application?",
        "Can you look?",
    )
    assert first["date"] == "2025-06-02T10:00:00+00:00"
    assert second["file"].endswith("missing.eml") and "error" in second


def test_summary_line_per_file(tmp_path: Path) -> None:
    good = tmp_path / "fwd.eml"
    good.write_bytes(FORWARD)
    result = CliRunner().invoke(parse_command, [str(good)])
    assert result.output.count("\n") == 1 and "cand@mail.example" in result.output
