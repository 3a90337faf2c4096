"""`triage import`: .eml, mbox and Maildir; whole pipeline in-process; summary and exit status."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime

from sqlalchemy import select

from tests.intake.conftest import make_raw
from triage.db import Message, MessageState


def _rows(database) -> list[Message]:
    with database.session() as s:
        return list(s.scalars(select(Message).order_by(Message.id)))


def _mbox(path, n: int, **kwargs):
    box = mailbox.mbox(path)
    for i in range(n):
        box.add(make_raw(sender=f"c{i}@example.org", body="any update?" if i % 2 else "thank you", **kwargs))
    box.close()
    return path


def test_mbox_import_runs_the_whole_pipeline(run_import, tmp_path, database, keyword_model):
    result = run_import(str(_mbox(tmp_path / "in.mbox", 120)), "--processes", "2")
    rows = _rows(database)
    assert (result.exit_code, len(rows), {r.state for r in rows}) == (0, 120, {MessageState.triaged})
    assert "new 120, duplicate 0, failed 0" in result.output


def test_the_same_mbox_imported_twice_makes_no_duplicate_rows(run_import, tmp_path, database, keyword_model):
    path = str(_mbox(tmp_path / "in.mbox", 30))
    run_import(path)
    again = run_import(path)
    assert (len(_rows(database)), again.exit_code) == (30, 0) and "new 0, duplicate 30, failed 0" in again.output


def test_maildir_and_eml_files(run_import, tmp_path, database, keyword_model):
    box = mailbox.Maildir(tmp_path / "maildir")
    box.add(make_raw(body="one"))
    box.add(make_raw(body="two"))
    (tmp_path / "single.eml").write_bytes(make_raw(body="three"))
    result = run_import(str(tmp_path / "maildir"), str(tmp_path / "single.eml"))
    assert result.exit_code == 0 and sorted(r.reply_text for r in _rows(database)) == ["one", "three", "two"]


def test_a_failed_file_is_counted_and_the_exit_status_is_non_zero(run_import, tmp_path, database, keyword_model):
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "good.eml").write_bytes(make_raw())
    (folder / "gone.eml").symlink_to(tmp_path / "deleted.eml")  # listed, but cannot be read
    result = run_import(str(folder))
    assert (result.exit_code, len(_rows(database))) == (1, 1) and "failed 1" in result.output


def test_received_from_date_backfills_the_received_time(run_import, tmp_path, database, keyword_model):
    (tmp_path / "old.eml").write_bytes(make_raw(date=datetime(2025, 3, 4, 5, 6, tzinfo=UTC)))
    run_import(str(tmp_path / "old.eml"), "--received-from-date")
    assert _rows(database)[0].received_at == datetime(2025, 3, 4, 5, 6, tzinfo=UTC)


def test_queue_hands_the_work_to_the_workers(run_import, tmp_path, database, settings, keyword_model):
    from triage.runtime import worker

    result = run_import(str(_mbox(tmp_path / "in.mbox", 10)), "--queue")
    before = {r.state for r in _rows(database)}
    worker.build(settings).work(burst=True)
    after = {r.state for r in _rows(database)}
    assert (result.exit_code, before, after) == (0, {MessageState.received}, {MessageState.triaged})


def test_a_large_batch_stores_and_routes_every_field_in_file_order(run_import, tmp_path, database, keyword_model):
    # 60 messages: on PostgreSQL the batch goes through COPY (store and route), so check what it wrote.
    box = mailbox.mbox(tmp_path / "big.mbox")
    raws = [
        make_raw(
            sender=f"Cand {i} <c{i}@example.org>",
            subject=f"note {i}",
            body="any update?",
            message_id=f"<big-{i}@example.org>",
        )
        for i in range(60)
    ]
    for raw in [*raws, raws[7]]:  # the last one is a duplicate of the eighth
        box.add(raw)
    box.close()
    result = run_import(str(tmp_path / "big.mbox"), "--processes", "2")
    rows = _rows(database)
    assert result.exit_code == 0 and "new 60, duplicate 1, failed 0" in result.output
    assert [r.subject for r in rows] == [f"note {i}" for i in range(60)]
    assert {(r.direction.value, r.state.value, r.intent, r.lane.value) for r in rows} == {
        ("inbound", "triaged", "status_check", "review")
    }
    assert [(r.from_address, r.message_id, r.references, r.has_html) for r in rows] == [
        (f"c{i}@example.org", f"<big-{i}@example.org>", [], False) for i in range(60)
    ]
    assert all("unknown sender" in r.reasons and r.processed_at is not None for r in rows)
