"""One bad message fails alone: its batch-mates are triaged, it is failed with the reason, in Review."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text

from tests.intake.conftest import make_raw
from triage.db import Channel, Lane, Message, MessageState
from triage.intake.accept import Delivery, accept_many
from triage.processing import pipeline

SENDER = "ada@example.org"


def _store(database, raws: list[bytes]) -> list[int]:
    return [a.id for a in accept_many(database, [Delivery(r, Channel.http) for r in raws], None)]


def _states(database, ids: list[int]) -> dict[int, tuple]:
    with database.session() as s:
        rows = s.execute(select(Message.id, Message.state, Message.lane, Message.error).where(Message.id.in_(ids)))
        return {i: (state, lane, error) for i, state, lane, error in rows}


def _batch(poisoned: bytes, n: int = 10, at: int = 4) -> list[bytes]:
    raws = [make_raw(subject=f"Any update {i}?", body=f"thank you, note {i}") for i in range(n - 1)]
    raws.insert(at, poisoned)
    return raws


@pytest.fixture
def poison_trigger(database):
    """A trigger that refuses to store any message whose subject says 'poison' (both backends)."""
    postgres = database.engine.dialect.name == "postgresql"
    with database.engine.begin() as conn:
        if postgres:
            conn.execute(
                text(
                    "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN "
                    "IF NEW.subject LIKE '%poison%' THEN RAISE EXCEPTION 'poisoned row refused'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(text("CREATE TRIGGER poison BEFORE UPDATE ON messages FOR EACH ROW EXECUTE FUNCTION poison()"))
        else:
            conn.execute(
                text(
                    "CREATE TRIGGER poison BEFORE UPDATE ON messages WHEN NEW.subject LIKE '%poison%' "
                    "BEGIN SELECT RAISE(ABORT, 'poisoned row refused'); END"
                )
            )
    yield
    with database.engine.begin() as conn:  # the PostgreSQL schema is shared by the next tests
        conn.execute(text("DROP TRIGGER IF EXISTS poison" + (" ON messages" if postgres else "")))
        if postgres:
            conn.execute(text("DROP FUNCTION IF EXISTS poison()"))


def test_a_message_that_cannot_be_stored_fails_alone(settings, database, keyword_model, poison_trigger):
    ids = _store(database, _batch(make_raw(subject="poison pill", body="thank you")))
    outcome = pipeline.run(database, settings, ids)
    states = _states(database, ids)
    failed = [i for i, (state, _, _) in states.items() if state == MessageState.failed]
    assert (outcome.processed, outcome.failed, failed) == (9, 1, [ids[4]])


def test_the_failed_message_is_in_review_with_its_reason(settings, database, keyword_model, poison_trigger):
    ids = _store(database, _batch(make_raw(subject="poison pill", body="thank you")))
    pipeline.run(database, settings, ids)
    state, lane, error = _states(database, ids)[ids[4]]
    assert (state, lane) == (MessageState.failed, Lane.review) and "poisoned row refused" in error


def test_a_failed_message_is_not_processed_again(settings, database, keyword_model, poison_trigger):
    ids = _store(database, _batch(make_raw(subject="poison pill", body="thank you")))
    pipeline.run(database, settings, ids)
    again = pipeline.run(database, settings, ids)
    assert (again.processed, again.failed, again.skipped) == (0, 0, 10)


def test_the_log_names_ids_and_error_types_never_addresses_or_bodies(
    settings, database, keyword_model, poison_trigger, caplog
):
    ids = _store(database, _batch(make_raw(subject="poison pill", body="secret body words")))
    with caplog.at_level(logging.DEBUG, logger="triage"):
        pipeline.run(database, settings, ids)
    logged = caplog.text
    assert f"message {ids[4]} failed" in logged
    assert not [word for word in (SENDER, "secret body", "poison pill", "thank you") if word in logged]


def test_a_database_that_is_down_fails_the_job_not_the_messages(settings, database, keyword_model, tmp_path):
    from triage.db import Database
    from triage.errors import Unavailable

    ids = _store(database, [make_raw(body="thank you")])
    if database.engine.dialect.name == "postgresql":
        gone = Database("postgresql+psycopg://postgres@127.0.0.1:1/none")
    else:
        gone = Database(f"sqlite:///{tmp_path / 'missing' / 'gone.db'}")
    with pytest.raises(Unavailable):
        pipeline.run(gone, settings, ids)
    assert _states(database, ids)[ids[0]][0] == MessageState.received


def _folded_subject(size: int) -> str:
    """A Subject of distinct words, folded onto continuation lines, about `size` bytes long."""
    words, lines, line, total = iter(range(10**7)), [], [], 0
    while total < size:
        word = f"w{next(words):x}"
        line.append(word)
        total += len(word) + 1
        if len(line) == 10:
            lines.append(" ".join(line))
            line = []
    lines.append(" ".join(line))
    return "\r\n ".join(lines)


@pytest.mark.slow
def test_a_2mb_folded_subject_is_triaged_with_its_batch(settings, database, keyword_model):
    raws = _batch(make_raw(subject=_folded_subject(2_000_000), body="thank you", crlf=True))
    ids = _store(database, raws)
    outcome = pipeline.run(database, settings, ids)
    with database.session() as s:
        kept = s.scalar(select(Message.subject).where(Message.id == ids[4]))
    assert (outcome.processed, outcome.failed, len(kept)) == (10, 0, pipeline.SUBJECT_MAX)


@pytest.mark.slow
def test_a_subject_over_the_tsvector_limit_fails_alone(settings, database, keyword_model, monkeypatch):
    if database.engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL's tsvector has a size limit (the search index; SQLite searches with LIKE)")
    monkeypatch.setattr(pipeline, "SUBJECT_MAX", 10**8)  # as before the cap: the search index refuses the row
    ids = _store(database, _batch(make_raw(subject=_folded_subject(2_000_000), body="thank you", crlf=True)))
    outcome = pipeline.run(database, settings, ids)
    state, lane, error = _states(database, ids)[ids[4]]
    assert (outcome.processed, outcome.failed, state, lane) == (9, 1, MessageState.failed, Lane.review)
    assert "too long for tsvector" in error
