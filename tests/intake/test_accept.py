"""accept(): stored raw and durably, deduplicated, enqueued only after the commit."""

from __future__ import annotations

from datetime import timedelta

from redis import Redis
from sqlalchemy import func, select

from tests.intake.conftest import make_raw
from triage.db import Channel, Message, MessageState
from triage.intake import sweeper
from triage.intake.accept import Delivery, accept, accept_many, not_email_reason
from triage.runtime import queues


def _count(database) -> int:
    with database.session() as s:
        return s.scalar(select(func.count()).select_from(Message))


def test_new_message_is_stored_byte_for_byte_in_state_received(database, redis_client):
    raw = make_raw(crlf=True) + b"\xff\xfe odd bytes\r\n"
    accepted = accept(database, Delivery(raw, Channel.http), redis_client)
    with database.session() as s:
        row = s.get(Message, accepted.id)
        assert (accepted.duplicate, row.raw, row.size, row.state) == (False, raw, len(raw), MessageState.received)


def test_the_same_bytes_twice_are_one_row(database, redis_client):
    raw = make_raw()
    first = accept(database, Delivery(raw, Channel.http), redis_client)
    second = accept(database, Delivery(raw, Channel.smtp), redis_client)
    assert (second.id, second.duplicate, _count(database)) == (first.id, True, 1)


def test_same_message_id_through_another_hop_is_a_duplicate(database, redis_client):
    raw = make_raw(message_id="<hop@example.org>")
    hopped = b"Received: from mx.example.net by imap.example.com\nDelivered-To: jobs@triage.localhost\n" + raw
    first = accept(database, Delivery(raw, Channel.smtp), redis_client)
    second = accept(database, Delivery(hopped.replace(b"\n", b"\r\n"), Channel.imap), redis_client)
    assert (second.id, second.duplicate) == (first.id, True)


def test_a_reused_message_id_with_other_content_is_kept_apart(database, redis_client):
    a = accept(database, Delivery(make_raw(message_id="<same@x>", body="first"), Channel.http), redis_client)
    b = accept(database, Delivery(make_raw(message_id="<same@x>", body="second"), Channel.http), redis_client)
    assert a.id != b.id and not b.duplicate


def test_distinct_messages_without_message_id_are_never_merged(database, redis_client):
    same_headers = dict(message_id=None, subject="any update?")
    results = accept_many(
        database,
        [
            Delivery(make_raw(body="one", **same_headers), Channel.import_),
            Delivery(make_raw(body="two", **same_headers), Channel.import_),
        ],
        None,
    )
    assert [r.duplicate for r in results] == [False, False] and results[0].id != results[1].id


def test_duplicates_inside_one_batch_get_the_first_id(database):
    raw = make_raw()
    results = accept_many(database, [Delivery(raw, Channel.import_), Delivery(raw, Channel.import_)], None)
    assert [(r.id, r.duplicate) for r in results] == [(results[0].id, False), (results[0].id, True)]


def test_new_message_is_enqueued_for_processing(database, redis_client):
    accepted = accept(database, Delivery(make_raw(), Channel.http), redis_client)
    jobs = queues.queue(redis_client, "intake").get_jobs()
    assert [(j.func_name, j.args) for j in jobs] == [("triage.processing.pipeline.process", ([accepted.id],))]


def test_redis_down_still_stores_and_the_sweeper_catches_up(database, redis_client, settings, keyword_model):
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    accepted = accept(database, Delivery(make_raw(body="any update?"), Channel.http), dead)
    assert sweeper.stuck(database, grace=timedelta(0)) == [accepted.id]
    assert sweeper.sweep(database, redis_client, grace=timedelta(0)) == 1
    from triage.runtime import worker

    worker.build(settings).work(burst=True)
    with database.session() as s:
        assert s.get(Message, accepted.id).state != MessageState.received


def test_sweeper_leaves_fresh_rows_to_their_own_job(database, redis_client):
    accept(database, Delivery(make_raw(), Channel.http), None)
    assert sweeper.stuck(database, grace=timedelta(seconds=60)) == []


def test_text_that_is_not_email_has_a_reason():
    assert "header" in not_email_reason(b"just some words\nand more")


def test_an_email_is_not_refused():
    assert not_email_reason(make_raw()) is None


def test_group_committer_answers_each_caller_after_one_shared_commit(database):
    from concurrent.futures import ThreadPoolExecutor

    from triage.intake.accept import GroupCommitter

    committer = GroupCommitter(database)
    raws = [make_raw(body=f"message {i}") for i in range(40)]
    try:
        with ThreadPoolExecutor(8) as pool:
            answers = list(
                pool.map(lambda raw: committer.accept(Delivery(raw, Channel.smtp), timeout=30), [*raws, raws[0]])
            )
    finally:
        committer.close()
    with database.session() as s:
        stored = dict(s.execute(select(Message.id, Message.raw)).all())
    assert sorted(a.id for a in answers[:40]) == sorted(stored) and [a.duplicate for a in answers[:40]] == [False] * 40
    assert [stored[a.id] for a in answers[:40]] == raws and (answers[40].id, answers[40].duplicate) == (
        answers[0].id,
        True,
    )


def test_group_committer_fails_only_the_unstorable_message(database):
    import pytest

    from triage.intake.accept import GroupCommitter

    if database.is_sqlite:
        pytest.skip("SQLite stores a NUL in text; PostgreSQL refuses the row")
    committer = GroupCommitter(database, threads=1)
    good, bad = Delivery(make_raw(), Channel.smtp), Delivery(make_raw(), Channel.smtp, envelope_to="x\x00@y")
    try:
        futures = [committer.submit(d) for d in (good, bad)]
        ok = futures[0].result(timeout=30)
        error = futures[1].exception(timeout=30)
    finally:
        committer.close()
    assert ok.duplicate is False and error is not None
