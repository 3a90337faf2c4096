"""`triage import` of awkward files: "From " lines inside mbox bodies, and files that are not email."""

from __future__ import annotations

import mailbox

import pytest
from sqlalchemy import select

from tests.intake.conftest import make_raw
from triage.db import Message
from triage.intake import files

CUE = "From my side there is no rush, but I do have a competing offer that expires on Friday."


def _stdlib_bytes(path) -> list[bytes]:
    box = mailbox.mbox(path, create=False)
    try:
        return [box.get_bytes(key) for key in box.iterkeys()]
    finally:
        box.close()


def _rows(database) -> list[Message]:
    with database.session() as s:
        return list(s.scalars(select(Message).order_by(Message.id)))


def _offer_mbox(path):
    """Three messages as a mail tool writes them, the second with an unescaped "From " line in its body."""
    path.write_bytes(
        b"From jane@example.org Thu Nov  5 10:00:00 2026\n"
        + make_raw(sender="jane@example.org", subject="one", body="thank you")
        + b"\nFrom bob@example.org Mon Jan 1 00:00:00 +0000 2026\n"
        + make_raw(sender="bob@example.org", subject="two", body=f"Thanks for the offer.\n\n{CUE}\n\nBob")
        + b"\nFrom MAILER-DAEMON Fri Apr 06 16:46:09 2001\n"
        + make_raw(sender="cy@example.org", subject="three", body="any update?")
    )
    return path


def test_a_from_line_in_a_body_does_not_split_the_message(tmp_path):
    path = _offer_mbox(tmp_path / "offer.mbox")
    found = list(files.items([path]))
    assert (files.count([path]), len(found)) == (3, 3)
    assert [i.error for i in found] == [None, None, None]
    assert [CUE.encode() in i.raw for i in found] == [False, True, False]
    assert found[1].raw.rstrip().endswith(b"\n\nBob") and b"Subject: three" in found[2].raw


def test_importing_an_mbox_with_a_from_line_in_a_body_makes_three_messages(
    run_import, tmp_path, database, keyword_model
):
    result = run_import(str(_offer_mbox(tmp_path / "offer.mbox")))
    rows = _rows(database)
    assert result.exit_code == 0 and "new 3, duplicate 0, failed 0" in result.output, result.output
    assert [r.subject for r in rows] == ["one", "two", "three"]
    assert [r.error for r in rows] == [None, None, None]
    assert CUE.encode() in rows[1].raw


@pytest.mark.parametrize(
    "line",
    [
        b"From jane@example.org Thu Nov  5 10:00:00 2026\n",
        b"From jane@example.org Thu Nov 05 10:00:00 2026\r\n",
        b"From jane@example.org  Wed Feb  4 14:23:02 2004\n",
        b"From mrc@CAC.Washington.EDU Mon Feb  8 02:53:47 PST 1993\n",
        b"From jane@example.org Mon Jan 1 00:00:00 +0000 2026\n",
        b"From jane@example.org Thu Nov  5 10:00:00 2026 +0100\n",
        b"From MAILER-DAEMON Fri Apr 06 16:46:09 2001\n",
        b"From - Thu Nov  5 10:00:00 2026\n",  # Thunderbird
    ],
)
def test_a_separator_as_mail_tools_write_it_starts_a_message(tmp_path, line):
    path = tmp_path / "box.mbox"
    path.write_bytes(line + make_raw(body="one") + b"\n" + line + make_raw(body="two"))
    assert (files.count([path]), [i.raw.endswith(b"\n\none\n") for i in files.items([path])]) == (2, [True, False])


@pytest.mark.parametrize(
    "line",
    [
        CUE.encode() + b"\n",
        b"From Monday on I am available.\n",
        b"From jane@example.org Thu Nov  5 2026\n",  # no time
        b"From jane@example.org\n",
    ],
)
def test_a_from_line_that_is_no_separator_stays_in_the_body(tmp_path, line):
    path = tmp_path / "box.mbox"
    path.write_bytes(b"From jane@example.org Thu Nov  5 10:00:00 2026\n" + make_raw(body="one\n") + line + b"more\n")
    found = list(files.items([path]))
    assert (files.count([path]), len(found)) == (1, 1) and found[0].raw.endswith(line + b"more\n")


def test_a_separator_counts_only_after_a_blank_line(tmp_path):
    separator = b"From bob@example.org Thu Nov  5 10:00:00 2026\n"
    path = tmp_path / "box.mbox"
    path.write_bytes(separator + make_raw(body="one") + b"quoted:\n" + separator + b"still one\n")
    found = list(files.items([path]))
    assert (files.count([path]), len(found)) == (1, 1) and found[0].raw.endswith(separator + b"still one\n")


def test_escaped_from_lines_are_unescaped(tmp_path):
    path = tmp_path / "box.mbox"
    path.write_bytes(
        b"From jane@example.org Thu Nov  5 10:00:00 2026\n"
        + make_raw(body="Hi,\n\n>From my side, fine.\n>>From the archive\n> From a quote\n")
    )
    (item,) = files.items([path])
    assert item.raw.endswith(b"\n\nFrom my side, fine.\n>From the archive\n> From a quote\n")


def test_mbox_files_written_by_the_stdlib_read_as_before(tmp_path):
    path = tmp_path / "std.mbox"
    box = mailbox.mbox(path)
    raws = [make_raw(body=f"message {i}", message_id=None if i % 2 else "auto", crlf=i == 3) for i in range(6)]
    for raw in raws:
        box.add(raw)
    box.close()
    expected = _stdlib_bytes(path)
    assert [i.raw for i in files.items([path])] == expected and files.count([path]) == 6


def test_shared_fixtures_that_start_with_a_from_line_keep_their_count_and_bytes():
    from tests.shared_fixtures import shared_fixtures_dir

    paths = [
        p
        for p in sorted((shared_fixtures_dir() / "malformed").iterdir())
        if p.is_file() and p.read_bytes().startswith(b"From ")
    ]
    assert paths
    for path in paths:
        expected = _stdlib_bytes(path)
        found = list(files.items([path]))
        assert (files.count([path]), [i.raw for i in found]) == (len(expected), expected), path.name


def test_a_single_eml_that_starts_with_a_from_line_imports(run_import, tmp_path, database, keyword_model):
    path = tmp_path / "single.eml"
    path.write_bytes(b"From jane@example.org Thu Nov  5 10:00:00 2026\n" + make_raw(subject="saved", body="thank you"))
    result = run_import(str(path))
    rows = _rows(database)
    assert result.exit_code == 0 and "new 1, duplicate 0, failed 0" in result.output, result.output
    assert [(r.subject, r.error) for r in rows] == [("saved", None)]


def test_files_that_are_not_email_are_refused_by_name_and_stored_nowhere(run_import, tmp_path, database, keyword_model):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "notes.csv").write_bytes(b"name,email\nAda,ada@example.org\n")
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8)
    (folder / "SOURCES.md").write_bytes(b"# Sources\n\nFrom my side: the mail below came from Ada.\n")
    (folder / "offer.msg").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    (folder / "empty.eml").write_bytes(b"\n")
    (folder / "good.eml").write_bytes(make_raw(subject="good", body="thank you"))
    _offer_mbox(folder / "offer.mbox")
    assert files.count([folder]) == 9
    result = run_import(str(folder))
    rows = _rows(database)
    assert result.exit_code == 1 and "new 4, duplicate 0, failed 5" in result.output, result.output
    assert sorted(r.subject for r in rows) == ["good", "one", "three", "two"]
    assert all(r.error is None for r in rows)
    refused = {
        line.split(": ", 2)[1].rsplit("/", 1)[-1]: line
        for line in result.output.splitlines()
        if line.startswith("failed: ")
    }
    assert {"notes.csv", "photo.jpg", "SOURCES.md", "offer.msg", "empty.eml"} <= set(refused)
    assert "not an email: this is an Outlook .msg file" in refused["offer.msg"] and "save it as .eml" in result.output
    assert "not an email: the body is empty" in refused["empty.eml"]
    assert "not an email: the body does not start with an email header field" in refused["photo.jpg"]


def test_the_outlook_msg_fixture_is_refused_with_the_http_answer(run_import, database, keyword_model):
    from tests.shared_fixtures import shared_fixtures_dir
    from triage.intake.accept import not_email_reason

    path = shared_fixtures_dir() / "malformed" / "mailparser__mail_outlook_1.msg"
    result = run_import(str(path))
    assert (result.exit_code, _rows(database)) == (1, [])
    assert f"failed: {path}: not an email: {not_email_reason(path.read_bytes())}" in result.output


def test_refusals_past_the_first_twenty_are_counted(run_import, tmp_path, database, keyword_model):
    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(25):
        (folder / f"note{i:02}.txt").write_bytes(b"just a note\n")
    result = run_import(str(folder))
    assert result.exit_code == 1 and "failed 25" in result.output
    assert "failed: 5 more not listed" in result.output and _rows(database) == []


def test_every_malformed_fixture_is_stored_or_refused_by_name(run_import, database, keyword_model):
    # Every malformed fixture is stored without a crash, or, when it is no email at all, refused
    # by name with the HTTP rule (the Outlook .msg, the 1-byte file).
    from tests.shared_fixtures import shared_fixtures_dir
    from triage.intake.accept import not_email_reason

    folder = shared_fixtures_dir() / "malformed"
    paths = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".eml", ".txt", ".msg"))
    refused = [p for p in paths if not_email_reason(p.read_bytes())]
    result = run_import(*map(str, paths))
    rows = _rows(database)
    assert any(p.suffix == ".msg" for p in refused)
    assert (result.exit_code, len(rows)) == (1, len(paths) - len(refused)), result.output
    assert f"failed {len(refused)}" in result.output
    assert all(f"failed: {p}: not an email: " in result.output for p in refused)
    assert all(r.state.value != "received" for r in rows)
