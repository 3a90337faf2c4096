"""Exactly once under a kill: the hand-over mark, settling a row a dead worker left with the relay,
and the rule for a relay that cannot be asked ("may have been sent", for a person to decide).

A kill is played in-process where its moment matters (a BaseException thrown at that point, the
socket closed as the dying process's would be), and by SIGKILLing a real `triage worker`."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.outbound.conftest import free_port, kill_worker
from triage.db import AuditEvent, Outbound, OutboxState
from triage.db.base import utcnow
from triage.outbound import delivery, dispatch, outbox, relay
from triage.outbound.sink import Sink
from triage.runtime import queues, worker


@pytest.fixture
def sink(tmp_path):
    """The local sink as `triage sink` runs it: every accepted message kept in var/sink."""
    (tmp_path / "var").mkdir(exist_ok=True)  # the settings' var dir, made before the settings
    server = Sink("127.0.0.1", free_port(), tmp_path / "var" / "sink").start()
    yield server
    server.stop()


@pytest.fixture
def settings(make_settings, redis_client, sink):
    """Sending to the local sink, which can say what it accepted (TRIAGE_SINK_PORT names it)."""
    return make_settings(
        SMTP_URL=f"smtp://127.0.0.1:{sink.port}",
        TRIAGE_FROM_ADDRESS="jobs@acme.example",
        TRIAGE_SINK_PORT=str(sink.port),
    )


@pytest.fixture
def opaque(make_settings, redis_client, sink):
    """The same sink seen as any SMTP relay: nothing to ask it after a crash."""
    return make_settings(SMTP_URL=f"smtp://127.0.0.1:{sink.port}", TRIAGE_FROM_ADDRESS="jobs@acme.example")


@pytest.fixture
def reply(db_session, settings, make_application, make_message):
    """reply() -> a committed personal reply row to a fresh candidate's chaser."""

    def build() -> Outbound:
        message = make_message(make_application())
        row = outbox.create_reply(
            db_session, settings, message_id=message.id, subject="Re: Any update?", body_text="Friday.", user_id=None
        )
        db_session.commit()
        return row

    return build


class Killed(BaseException):
    """The worker's process dies here (nothing in delivery may catch it)."""


@pytest.fixture
def kill_at(monkeypatch):
    """kill_at("accepted"): die after the relay's 250 for the content, before the outcome is recorded;
    kill_at("content"): die after the hand-over mark, before any content went."""

    def arm(moment: str) -> None:
        real = relay._content

        def content(smtp, data):
            if moment == "accepted":
                real(smtp, data)
            smtp.close()  # a dead process's socket closes; no QUIT
            monkeypatch.setattr(relay, "_content", real)  # one kill
            raise Killed(moment)

        monkeypatch.setattr(relay, "_content", content)

    return arm


def fresh(db_session, row: Outbound) -> Outbound:
    db_session.expire_all()
    return db_session.get(Outbound, row.id)


def dead_worker_lease_runs_out(db_session, database) -> None:
    """The lease of the dead worker's rows runs out, and the sweep puts them back."""
    db_session.execute(
        update(Outbound)
        .where(Outbound.state == OutboxState.sending)
        .values(lease_until=utcnow() - timedelta(seconds=1))
    )
    db_session.commit()
    delivery.reclaim_expired(database)


def test_the_hand_over_is_committed_after_rcpt_and_before_the_content(db_session, reply, settings, sink, database):
    row = reply()
    seen = {}
    handler = sink.handler
    real_rcpt, real_data = handler.handle_RCPT, handler.handle_DATA

    def marked() -> bool:
        with database.engine.connect() as conn:
            return conn.scalar(select(Outbound.handed_over_at).where(Outbound.id == row.id)) is not None

    async def handle_RCPT(*args):
        seen["rcpt"] = marked()
        return await real_rcpt(*args)

    async def handle_DATA(*args):
        seen["data"] = marked()
        return await real_data(*args)

    handler.handle_RCPT, handler.handle_DATA = handle_RCPT, handle_DATA
    delivery.deliver(database, settings, [row.id])
    assert (seen, fresh(db_session, row).state) == ({"rcpt": False, "data": True}, OutboxState.sent)


def test_a_row_the_relay_took_before_its_worker_died_is_not_sent_again(
    db_session, reply, settings, sink, database, kill_at
):
    row = reply()
    kill_at("accepted")
    with pytest.raises(Killed):
        delivery.deliver(database, settings, [row.id])
    dead_worker_lease_runs_out(db_session, database)
    tally = delivery.deliver(database, settings, [row.id])
    assert (sink.handler.message_ids(), tally.sent, fresh(db_session, row).state) == (
        [row.message_id],
        1,
        OutboxState.sent,
    )


def test_a_row_whose_content_never_went_is_sent_after_the_kill(db_session, reply, settings, sink, database, kill_at):
    row = reply()
    kill_at("content")
    with pytest.raises(Killed):
        delivery.deliver(database, settings, [row.id])
    dead_worker_lease_runs_out(db_session, database)
    delivery.deliver(database, settings, [row.id])
    assert (sink.handler.message_ids(), fresh(db_session, row).state) == ([row.message_id], OutboxState.sent)


def test_a_kill_leaves_the_rest_of_the_chunk_unmarked(db_session, reply, settings, sink, database, monkeypatch):
    rows = [reply() for _ in range(4)]
    calls = []
    real = relay._content

    def content(smtp, data):  # the third message's content is accepted, then the worker dies
        calls.append(1)
        answer = real(smtp, data)
        if len(calls) == 3:
            smtp.close()
            raise Killed()
        return answer

    monkeypatch.setattr(relay, "_content", content)
    with pytest.raises(Killed):
        delivery.deliver(database, settings, [r.id for r in rows])
    db_session.expire_all()
    marks = [(r.state, r.handed_over_at is not None) for r in (db_session.get(Outbound, r.id) for r in rows)]
    assert marks == [
        (OutboxState.sent, False),
        (OutboxState.sent, False),
        (OutboxState.sending, True),  # the one in doubt
        (OutboxState.sending, False),  # never handed over: certainly not delivered
    ]


def test_a_relay_that_cannot_tell_leaves_the_row_for_a_person(db_session, reply, opaque, sink, database, kill_at):
    row = reply()
    kill_at("accepted")
    with pytest.raises(Killed):
        delivery.deliver(database, opaque, [row.id])
    dead_worker_lease_runs_out(db_session, database)
    delivery.deliver(database, opaque, [row.id])
    row = fresh(db_session, row)
    assert (len(sink.messages), row.state, row.last_error.split(":")[0]) == (
        1,
        OutboxState.failed,
        "may have been sent",
    )


def test_the_row_in_doubt_is_audited_for_the_person_who_decides(db_session, reply, opaque, sink, database, kill_at):
    row = reply()
    kill_at("accepted")
    with pytest.raises(Killed):
        delivery.deliver(database, opaque, [row.id])
    dead_worker_lease_runs_out(db_session, database)
    delivery.deliver(database, opaque, [row.id])
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "outbound.failed"))
    assert (event.target_id, event.details["reason"].startswith("may have been sent")) == (row.id, True)


def test_a_person_who_retries_the_row_in_doubt_sends_it(db_session, reply, opaque, sink, database, kill_at):
    row = reply()
    kill_at("accepted")
    with pytest.raises(Killed):
        delivery.deliver(database, opaque, [row.id])
    dead_worker_lease_runs_out(db_session, database)
    delivery.deliver(database, opaque, [row.id])
    outbox.requeue(db_session, Outbound.id == row.id)  # the person checked: the candidate never got it
    db_session.commit()
    delivery.deliver(database, opaque, [row.id])
    assert (len(sink.messages), fresh(db_session, row).state) == (2, OutboxState.sent)


def test_a_worker_that_lost_its_lease_before_the_content_withdraws_the_message(
    db_session, reply, settings, sink, database
):
    row = reply()
    real_rcpt = sink.handler.handle_RCPT

    async def handle_RCPT(*args):  # the sweeper gives the row to another worker meanwhile
        with database.engine.begin() as conn:
            conn.execute(update(Outbound).where(Outbound.id == row.id).values(leased_by="new-holder"))
        return await real_rcpt(*args)

    sink.handler.handle_RCPT = handle_RCPT
    delivery.deliver(database, settings, [row.id])
    row = fresh(db_session, row)
    assert (sink.messages, row.state, row.leased_by, row.handed_over_at) == (
        [],
        OutboxState.sending,
        "new-holder",
        None,
    )


def test_no_answer_to_the_content_keeps_the_row_in_doubt(db_session, reply, settings, sink, database, monkeypatch):
    row = reply()
    real = relay._content

    def content(smtp, data):  # the relay took the message, then the connection broke before its 250
        real(smtp, data)
        smtp.close()
        raise relay.CONNECTION_ERRORS[0]("Connection unexpectedly closed")

    monkeypatch.setattr(relay, "_content", content)
    delivery.deliver(database, settings, [row.id])
    monkeypatch.setattr(relay, "_content", real)
    fresh(db_session, row).next_attempt_at = utcnow()  # the retry is due
    db_session.commit()
    delivery.deliver(database, settings, [row.id])
    assert (sink.handler.message_ids(), fresh(db_session, row).state) == ([row.message_id], OutboxState.sent)


def test_a_refusal_clears_the_mark(db_session, reply, settings, sink, database):
    sink.handler.mode = "tempfail"  # the relay answered the content: it did not take it
    row = reply()
    delivery.deliver(database, settings, [row.id])
    row = fresh(db_session, row)
    assert (row.state, row.handed_over_at) == (OutboxState.queued, None)


# --- relay.accepted -------------------------------------------------------------------------------
def test_the_local_sink_says_which_messages_it_accepted(db_session, reply, settings, sink, database):
    rows = [reply(), reply()]
    started = utcnow()
    delivery.deliver(database, settings, [rows[0].id])
    assert relay.accepted(settings, [r.message_id for r in rows], started) == {rows[0].message_id}


def test_any_other_relay_cannot_tell(opaque):
    assert relay.accepted(opaque, ["<a@acme.example>"], utcnow()) is None


def test_messages_older_than_the_hand_over_are_not_read(db_session, reply, settings, sink, database):
    row = reply()
    delivery.deliver(database, settings, [row.id])
    assert relay.accepted(settings, [row.message_id], utcnow() + relay.CLOCK_SLACK + timedelta(minutes=1)) == set()


# --- a real kill -----------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_worker_killed_mid_chunk_sends_each_message_once(db_session, reply, settings, sink, start_worker, database):
    """SIGKILL a real `triage worker` (and its work horse) while it sends a chunk; the sweeper
    reclaims the lease and a new worker settles the row in doubt with the sink and sends the rest."""
    rows = [reply() for _ in range(20)]
    sink.handler.delay = 0.1
    dispatch.enqueue_delivery(queues.connect(settings), [r.id for r in rows], chunk=20)
    process = start_worker()
    deadline = time.monotonic() + 240  # the worker loads the classifier first; the machine may be busy
    while len(sink.messages) < 5:
        assert process.poll() is None, f"the worker exited by itself ({process.returncode})"
        assert time.monotonic() < deadline, f"only {len(sink.messages)} sent in time"
        time.sleep(0.05)
    kill_worker(process)
    sink.handler.delay = 0
    dead_worker_lease_runs_out(db_session, database)
    dispatch.sweep(database, queues.connect(settings), settings)
    worker.build(settings).work(burst=True)
    ids = sink.handler.message_ids()
    twice = [m for m, n in Counter(ids).items() if n > 1]
    assert (set(ids) == {r.message_id for r in rows}, twice) == (True, [])
