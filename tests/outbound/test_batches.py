"""Batched status updates: recipients, preview, personal rows, chasers answered, frequency cap."""

from __future__ import annotations

from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select

from triage.db import BatchState, MessageState, Outbound, Suppression, TemplateKind
from triage.db.base import utcnow
from triage.errors import BadInput
from triage.outbound import batches, delivery, dispatch, templates
from triage.runtime import queues, worker

NEXT = date.today() + timedelta(days=10)


@pytest.fixture
def template(db_session):
    templates.ensure_default_templates(db_session)
    db_session.commit()
    return templates.default_template(db_session, TemplateKind.status_update)


@pytest.fixture
def two_roles(make_role, make_application):
    a, b = make_role(title="Data Analyst"), make_role(title="Backend Engineer")
    apps = [
        make_application(name=f"Person{i} Smith", role=role, stage=stage)
        for i, (role, stage) in enumerate(
            [(a, "interviewed"), (a, "interviewed"), (a, "applied"), (b, "interviewed"), (b, "rejected")]
        )
    ]
    return a, b, apps


def new_batch(db_session, roles, template, stages=("interviewed",), **kw):
    batch = batches.create(
        db_session,
        role_ids=[r.id for r in roles],
        stages=list(stages),
        template_id=template.id,
        next_update_on=NEXT,
        user_id=None,
        **kw,
    )
    db_session.commit()
    return batch


def test_preview_counts_and_renders_the_first_few(db_session, two_roles, template):
    a, b, _ = two_roles
    result = batches.preview(
        db_session, role_ids=[a.id, b.id], stages=["interviewed"], template_id=template.id, next_update_on=NEXT, limit=2
    )
    first = [s["why"].split(",")[0] for s in result["samples"][:2]]
    assert result["count"] == 3 and first == ["recipient 1", "recipient 2"]
    assert result["samples"][0]["subject"].startswith("Person") and "Data Analyst" in result["samples"][0]["subject"]


def test_send_writes_one_personal_row_per_candidate(db_session, settings, two_roles, template):
    a, b, apps = two_roles
    batch = new_batch(db_session, [a, b], template)
    result = batches.send(db_session, settings, batch.id)
    db_session.commit()
    rows = db_session.scalars(select(Outbound).where(Outbound.id.in_(result.outbound_ids))).all()
    assert sorted(r.to_address for r in rows) == sorted(x.candidate.email for x in apps if x.stage == "interviewed")
    assert len({r.thread_id for r in rows}) == 3 and len({r.message_id for r in rows}) == 3


def test_delivered_batch_mail_has_one_recipient_and_names_candidate_and_role(
    db_session, settings, sink, two_roles, template
):
    a, b, _ = two_roles
    batch = new_batch(db_session, [a], template)
    result = batches.send(db_session, settings, batch.id)
    db_session.commit()
    dispatch.enqueue_delivery(queues.connect(settings), result.outbound_ids)
    worker.build(settings).work(burst=True)
    assert len(sink.messages) == 2 and all(len(e.rcpt_tos) == 1 for e in sink.messages)
    mail = message_from_bytes(sink.messages[0].original_content, policy=policy.default)
    assert mail["Cc"] is None and "Data Analyst" in mail["Subject"] and mail["Subject"].startswith("Person")


def test_sending_answers_held_chasers_of_those_candidates(db_session, settings, two_roles, template, make_message):
    a, b, apps = two_roles
    chaser = make_message(apps[0])
    batch = new_batch(db_session, [a], template)
    result = batches.send(db_session, settings, batch.id)
    db_session.commit()
    db_session.refresh(chaser)
    assert (chaser.state, chaser.answered_by_batch_id, result.answered) == (MessageState.answered, batch.id, 1)


def test_batch_mail_threads_under_the_held_chaser(db_session, settings, two_roles, template, make_message):
    a, b, apps = two_roles
    chaser = make_message(apps[0])
    batch = new_batch(db_session, [a], template)
    batches.send(db_session, settings, batch.id)
    db_session.commit()
    row = db_session.scalar(select(Outbound).where(Outbound.application_id == apps[0].id))
    assert row.in_reply_to == chaser.message_id


def test_a_chaser_from_a_candidate_not_written_to_stays_held(db_session, settings, two_roles, template, make_message):
    a, b, apps = two_roles
    chaser = make_message(apps[2])  # stage "applied", not in the batch
    batches.send(db_session, settings, new_batch(db_session, [a], template).id)
    db_session.commit()
    db_session.refresh(chaser)
    assert chaser.state == MessageState.held


def test_at_most_one_batch_per_role_per_seven_days(db_session, settings, two_roles, template):
    a, b, _ = two_roles
    batches.send(db_session, settings, new_batch(db_session, [a], template).id)
    db_session.commit()
    second = batches.send(db_session, settings, new_batch(db_session, [a], template).id)
    assert second.outbound_ids == [] and second.skipped == {batches.SKIP_RECENT.format(days=7): 2}


def test_the_preview_names_whom_it_skips(db_session, settings, two_roles, template):
    # "Skipped 2: had a batch update ..." said how many, not who.
    a, b, apps = two_roles
    batches.send(db_session, settings, new_batch(db_session, [a], template).id)
    db_session.commit()
    shown = batches.preview(
        db_session, role_ids=[a.id], stages=["interviewed"], template_id=template.id, next_update_on=NEXT
    )
    written = [f"{app.candidate.name} <{app.candidate.email}>" for app in apps[:2]]  # the two interviewed in role a
    assert shown["skipped_who"] == {batches.SKIP_RECENT.format(days=7): sorted(written)}


def test_override_sends_again_within_the_window(db_session, settings, two_roles, template):
    a, b, _ = two_roles
    batches.send(db_session, settings, new_batch(db_session, [a], template).id)
    db_session.commit()
    again = batches.send(db_session, settings, new_batch(db_session, [a], template, override=True).id)
    assert len(again.outbound_ids) == 2


def test_suppressed_addresses_are_skipped(db_session, settings, two_roles, template):
    a, b, apps = two_roles
    db_session.add(Suppression(address=apps[0].candidate.email, reason="550"))
    db_session.commit()
    result = batches.send(db_session, settings, new_batch(db_session, [a], template).id)
    assert len(result.outbound_ids) == 1 and result.skipped == {batches.SKIP_SUPPRESSED: 1}


def test_send_records_the_update_on_the_application(db_session, settings, two_roles, template):
    a, b, apps = two_roles
    batches.send(db_session, settings, new_batch(db_session, [a], template).id)
    db_session.commit()
    db_session.refresh(apps[0])
    assert apps[0].last_update_kind == "batch" and apps[0].last_batch_at is not None


def test_a_sent_batch_cannot_be_sent_twice(db_session, settings, two_roles, template):
    a, b, _ = two_roles
    batch = new_batch(db_session, [a], template)
    batches.send(db_session, settings, batch.id)
    db_session.commit()
    with pytest.raises(BadInput):
        batches.send(db_session, settings, batch.id)


def test_progress_counts_sent_and_failures_with_reasons(db_session, settings, sink, two_roles, template):
    a, b, apps = two_roles
    sink.handler.modes = {apps[0].candidate.email: "permfail"}
    result = batches.send(db_session, settings, new_batch(db_session, [a], template).id)
    db_session.commit()
    dispatch.enqueue_delivery(queues.connect(settings), result.outbound_ids)
    worker.build(settings).work(burst=True)
    db_session.expire_all()
    p = batches.progress(db_session, result.batch_id)
    assert (p["total"], p["sent"], p["failed"], p["queued"], p["state"]) == (2, 1, 1, 0, "sent")
    assert p["failures"][0]["to"] == apps[0].candidate.email and p["failures"][0]["reason"].startswith("550")


def test_retry_failed_sends_them_again(db_session, settings, sink, two_roles, template, database):
    a, b, apps = two_roles
    sink.handler.mode = "permfail"
    result = batches.send(db_session, settings, new_batch(db_session, [a], template).id)
    db_session.commit()
    delivery.deliver(database, settings, result.outbound_ids)
    sink.handler.mode = "accept"
    ids = batches.retry_failed(db_session, settings, result.batch_id, None)
    db_session.commit()
    dispatch.enqueue_delivery(queues.connect(settings), ids)
    worker.build(settings).work(burst=True)
    db_session.expire_all()
    assert batches.progress(db_session, result.batch_id)["sent"] == 2


def test_scheduled_batch_is_sent_by_the_scheduler_job(db_session, settings, sink, two_roles, template):
    from triage.outbound import tasks

    a, b, _ = two_roles
    batch = new_batch(db_session, [a], template)
    batches.schedule(db_session, batch.id, utcnow() + timedelta(hours=1), None)
    db_session.commit()
    dispatch.enqueue_scheduled(queues.connect(settings), batch)
    assert queues.queue(queues.connect(settings), "outbox").scheduled_job_registry.count == 1
    # The scheduler moves it to the queue at its time; run that job as RQ would.
    queues.queue(queues.connect(settings), "outbox").enqueue(tasks.send_batch, batch.id)
    worker.build(settings).work(burst=True)
    worker.build(settings).work(burst=True)  # the delivery jobs the batch job enqueued
    db_session.expire_all()
    assert batches.progress(db_session, batch.id)["sent"] == 2 and len(sink.messages) == 2


def test_cancelled_scheduled_batch_never_sends(db_session, settings, sink, two_roles, template):
    from triage.outbound import tasks

    a, b, _ = two_roles
    batch = new_batch(db_session, [a], template)
    batches.schedule(db_session, batch.id, utcnow() + timedelta(hours=1), None)
    db_session.commit()
    redis = queues.connect(settings)
    dispatch.enqueue_scheduled(redis, batch)
    batches.cancel(db_session, batch.id, None, redis)
    db_session.commit()
    queues.queue(redis, "outbox").enqueue(tasks.send_batch, batch.id)  # a stale copy still runs
    worker.build(settings).work(burst=True)
    db_session.expire_all()
    assert queues.queue(redis, "outbox").scheduled_job_registry.count == 0
    assert db_session.scalar(select(func.count()).select_from(Outbound)) == 0
    assert batches.get(db_session, batch.id).state == BatchState.cancelled


def test_unknown_stage_is_refused(db_session, two_roles, template):
    with pytest.raises(BadInput, match="unknown stage"):
        new_batch(db_session, [two_roles[0]], template, stages=["interviewd"])


def test_past_next_update_date_is_refused(db_session, two_roles, template):
    with pytest.raises(BadInput, match="in the past"):
        batches.create(
            db_session,
            role_ids=[two_roles[0].id],
            stages=["interviewed"],
            template_id=template.id,
            next_update_on=date.today() - timedelta(days=1),
            user_id=None,
        )


def test_a_past_next_update_date_is_refused_at_preview_already(db_session, two_roles, template):
    # The preview once showed "We will be in touch again by Sunday 1 November" for a past date;
    # only Send refused it.
    with pytest.raises(BadInput, match="in the past"):
        batches.preview(
            db_session,
            role_ids=[two_roles[0].id],
            stages=["interviewed"],
            template_id=template.id,
            next_update_on=date.today() - timedelta(days=1),
        )


def test_the_last_chunk_marks_the_batch_sent(db_session, settings, sink, two_roles, template):
    a, b, _ = two_roles
    batch = new_batch(db_session, [a], template)
    dispatch.send_batch_now(db_session, settings, queues.connect(settings), batch.id)
    worker.build(settings).work(burst=True)
    db_session.expire_all()
    assert batches.get(db_session, batch.id).state == BatchState.sent


def test_parts_are_handed_over_as_they_are_written(db_session, settings, two_roles, template):
    a, b, _ = two_roles
    batch = new_batch(db_session, [a, b], template)
    seen: list = []
    result = batches.send(db_session, settings, batch.id, part_size=2, after_part=seen.append)
    assert seen == [result.outbound_ids[:2], result.outbound_ids[2:]] and len(result.outbound_ids) == 3
