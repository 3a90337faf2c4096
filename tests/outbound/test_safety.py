"""Outgoing mail never hurts a candidate: no unfilled placeholder, Send confirmed with the count,
undo send, asks recorded apart from status updates, a batch answering every open status check."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from rq.registry import ScheduledJobRegistry
from sqlalchemy import func, select, update

from triage.accounts import users
from triage.db import Application, BatchState, Lane, MessageState, Outbound, OutboxState, Team, TemplateKind
from triage.db.base import utcnow
from triage.db.outbound import Ask
from triage.errors import BadInput
from triage.outbound import batches, checks, dispatch, outbox, templates, unfilled
from triage.runtime import queues, worker

NEXT = date.today() + timedelta(days=10)


@pytest.fixture
def defaults(db_session):
    templates.ensure_default_templates(db_session)
    db_session.commit()
    return lambda kind: templates.default_template(db_session, kind)


def new_batch(db_session, role, template, stages=("interviewed",)):
    batch = batches.create(
        db_session, role_ids=[role.id], stages=list(stages), template_id=template.id, next_update_on=NEXT, user_id=None
    )
    db_session.commit()
    return batch


@pytest.fixture
def undo_team(db_session):
    team = Team(name="Undo ten seconds", policy={"undo_send_seconds": 10})
    db_session.add(team)
    db_session.commit()
    return team


# --- 1. nothing unfilled ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "Hello {{ first_name }},",
        "Hello {{first_name}}",
        "{% if stage %}x{% endif %}",
        "Thanks.\n\n[[Write the feedback here.]]\n",
        "Thanks.\n\n[Write the feedback here.]\n",
        "[Say what you need.]",
        "Hello {{ first_name,",
    ],
)
def test_an_unfilled_placeholder_or_instruction_is_found(text):
    assert unfilled.find(text)


@pytest.mark.parametrize("text", ["Hello Ada,\n\nSee [1] and [the attached CV].", "Price: {not a placeholder}"])
def test_ordinary_brackets_are_not_holes(text):
    assert unfilled.find(text) == []


def test_a_reply_with_a_shipped_instruction_is_refused_naming_it(db_session, settings, make_application, make_message):
    message = make_message(make_application())
    with pytest.raises(BadInput, match=r"Write the feedback here"):
        outbox.create_reply(
            db_session,
            settings,
            message_id=message.id,
            subject="Feedback",
            body_text="Hello Ada,\n\n[[Write the feedback here.]]\n\nRita",
            user_id=None,
        )


def test_a_reply_with_a_typed_placeholder_is_refused(db_session, settings, make_application, make_message):
    message = make_message(make_application())
    with pytest.raises(BadInput, match=r"\{\{ first_name \}\}"):
        outbox.create_reply(
            db_session, settings, message_id=message.id, subject="Hi", body_text="Hello {{ first_name }}", user_id=None
        )


def test_a_batch_with_the_feedback_template_is_refused_at_preview(db_session, defaults, make_role, make_application):
    role = make_role()
    make_application(role=role)
    with pytest.raises(BadInput, match=r"Write the feedback here"):
        batches.preview(
            db_session,
            role_ids=[role.id],
            stages=["interviewed"],
            template_id=defaults(TemplateKind.feedback).id,
            next_update_on=NEXT,
        )


def test_a_batch_with_the_feedback_template_writes_no_row(db_session, settings, defaults, make_role, make_application):
    role = make_role()
    make_application(role=role)
    batch = new_batch(db_session, role, defaults(TemplateKind.feedback))
    with pytest.raises(BadInput):
        batches.send(db_session, settings, batch.id)
    db_session.rollback()
    assert db_session.scalar(select(Outbound.id).limit(1)) is None


def test_a_row_edited_to_carry_a_hole_fails_right_before_delivery(
    db_session, database, settings, make_application, make_message
):
    message = make_message(make_application())
    row = outbox.create_reply(
        db_session, settings, message_id=message.id, subject="Hi", body_text="Hello Ada", user_id=None
    )
    db_session.commit()
    db_session.execute(update(Outbound).where(Outbound.id == row.id).values(body_text="Hello {{ first_name }}"))
    db_session.commit()
    assert checks.refuse_unfilled(database, [row.id]) == [row.id]
    db_session.expire_all()
    assert (db_session.get(Outbound, row.id).state, "first_name" in db_session.get(Outbound, row.id).last_error) == (
        OutboxState.failed,
        True,
    )


# --- 1. confirmation and preview ------------------------------------------------------------------
def test_send_with_a_stale_count_sends_nothing(db_session, settings, defaults, make_role, make_application):
    role = make_role(reference="REQ-1045")
    for i in range(3):
        make_application(name=f"P{i} Smith", role=role)
    batch = new_batch(db_session, role, defaults(TemplateKind.status_update))
    with pytest.raises(batches.NotConfirmed, match=r"Send 3 emails to REQ-1045 candidates\?"):
        batches.send(db_session, settings, batch.id, confirm=2)


def test_unconfirmed_send_is_refused_with_the_count(db_session, defaults, make_role, make_application):
    role = make_role(reference="REQ-1045")
    make_application(role=role)
    batch = new_batch(db_session, role, defaults(TemplateKind.status_update))
    with pytest.raises(batches.NotConfirmed) as caught:
        batches.require_confirmation(db_session, batch, None)
    assert caught.value.count == 1


def test_preview_shows_the_first_three_and_the_outliers(db_session, defaults, make_role, make_application):
    role = make_role()
    names = ["Al Bo", "Bea Co", "Cy Do", "Maximiliana-Konstantina Wolfeschlegelsteinhausen", "Ed Fo", ""]
    for name in names:
        make_application(name=name, role=role)
    result = batches.preview(
        db_session,
        role_ids=[role.id],
        stages=["interviewed"],
        template_id=defaults(TemplateKind.status_update).id,
        next_update_on=NEXT,
    )
    whys = {s["to_name"]: s["why"] for s in result["samples"]}
    assert "the longest" in whys["Maximiliana-Konstantina Wolfeschlegelsteinhausen"] and "no name on file" in whys[""]


# --- 2. undo send -------------------------------------------------------------------------------
def test_a_reply_waits_out_the_undo_window(db_session, settings, make_role, make_application, make_message, undo_team):
    message = make_message(make_application(role=make_role(team_id=undo_team.id)))
    row = outbox.create_reply(db_session, settings, message_id=message.id, subject="Hi", body_text="Hi", user_id=None)
    assert row.next_attempt_at - row.created_at == timedelta(seconds=10)


def test_cancel_stops_a_queued_reply_and_reopens_the_message(
    db_session, settings, make_role, make_application, make_message, undo_team
):
    message = make_message(make_application(role=make_role(team_id=undo_team.id)), lane="feedback", state="triaged")
    row = outbox.create_reply(db_session, settings, message_id=message.id, subject="Hi", body_text="Hi", user_id=None)
    db_session.commit()
    assert outbox.cancel(db_session, row.id, by_user=None) is True
    db_session.commit()
    assert (row.state, message.state) == (OutboxState.cancelled, MessageState.triaged)


def test_cancel_refuses_a_row_already_taken_by_delivery(db_session, settings, make_application, make_message):
    message = make_message(make_application())
    row = outbox.create_reply(db_session, settings, message_id=message.id, subject="Hi", body_text="Hi", user_id=None)
    db_session.commit()
    db_session.execute(update(Outbound).where(Outbound.id == row.id).values(state=OutboxState.sending))
    db_session.commit()
    assert outbox.cancel(db_session, row.id, by_user=None) is False


def test_undoing_a_batch_stops_every_row_and_reopens_the_chasers(
    db_session, settings, defaults, make_role, make_application, make_message, undo_team
):
    role = make_role(team_id=undo_team.id)
    application = make_application(role=role)
    chaser = make_message(application)
    batch = new_batch(db_session, role, defaults(TemplateKind.status_update))
    batches.send(db_session, settings, batch.id)
    db_session.commit()
    assert batches.progress(db_session, batch.id)["undo_until"] is not None
    batches.cancel(db_session, batch.id, None)
    db_session.commit()
    db_session.refresh(chaser)
    db_session.refresh(application)
    assert (batch.state, chaser.state, application.last_batch_at) == (BatchState.cancelled, MessageState.held, None)


def test_the_cancel_api_stops_a_reply(client, db_session, settings, make_user, make_application, make_message):
    message = make_message(make_application())
    row = outbox.create_reply(db_session, settings, message_id=message.id, subject="Hi", body_text="Hi", user_id=None)
    row.next_attempt_at = utcnow() + timedelta(seconds=30)
    token = users.create_token(db_session, make_user("admin"), "t")
    db_session.commit()
    response = client.post(f"/api/v1/outbox/{row.id}/cancel", headers={"Authorization": f"Bearer {token}"})
    again = client.post(f"/api/v1/outbox/{row.id}/cancel", headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json["state"], again.status_code) == (200, "cancelled", 409)


# --- 3. asks ------------------------------------------------------------------------------------
def test_a_reply_that_asks_is_recorded_as_an_ask(db_session, settings, make_application, make_message):
    application = make_application()
    message = make_message(application)
    outbox.create_reply(
        db_session,
        settings,
        message_id=message.id,
        subject="Your references",
        body_text="Could you send two references?",
        user_id=None,
        asks_for_info=True,
    )
    db_session.commit()
    ask = db_session.scalar(select(Ask).where(Ask.application_id == application.id))
    assert ask is not None and "references" in ask.what


def test_a_request_info_batch_is_an_ask_and_does_not_block_the_status_update(
    db_session, settings, defaults, make_role, make_application
):
    role = make_role()
    application = make_application(role=role)
    asking = defaults(TemplateKind.request_info)
    asking.body_text = asking.body_text.replace("[[Say what you need.]]", "Please send a copy of your work permit.")
    asking.body_html = None
    db_session.commit()
    batches.send(db_session, settings, new_batch(db_session, role, asking).id)
    db_session.commit()
    update_batch = new_batch(db_session, role, defaults(TemplateKind.status_update))
    result = batches.send(db_session, settings, update_batch.id)
    db_session.commit()
    asks = db_session.scalars(select(Ask).where(Ask.application_id == application.id)).all()
    assert (len(asks), len(result.outbound_ids), result.skipped) == (1, 1, {})


def test_a_request_info_batch_leaves_the_last_update_marked_as_asked(
    db_session, settings, defaults, make_role, make_application
):
    role = make_role()
    application = make_application(role=role)
    asking = defaults(TemplateKind.request_info)
    asking.body_text = asking.body_text.replace("[[Say what you need.]]", "Please send your portfolio.")
    asking.body_html = None
    db_session.commit()
    batches.send(db_session, settings, new_batch(db_session, role, asking).id)
    db_session.commit()
    db_session.refresh(application)
    assert (application.last_update_asked, application.last_batch_at) == (True, None)


# --- 4. a batch answers every open status check ---------------------------------------------------
def test_a_batch_answers_status_checks_in_feedback_but_not_feedback_requests(
    db_session, settings, defaults, make_role, make_application, make_message
):
    role = make_role()
    application = make_application(role=role)
    held = make_message(application)
    waiting = make_message(application, lane=Lane.feedback.value, state="triaged", intent="status_check")
    request = make_message(application, lane=Lane.feedback.value, state="triaged", intent="feedback_request")
    batches.send(db_session, settings, new_batch(db_session, role, defaults(TemplateKind.status_update)).id)
    db_session.commit()
    for m in (held, waiting, request):
        db_session.refresh(m)
    assert (held.state, waiting.state, request.state) == (
        MessageState.answered,
        MessageState.answered,
        MessageState.triaged,
    )


def test_an_answered_status_check_says_which_update_answered_it(
    db_session, settings, defaults, make_role, make_application, make_message
):
    role = make_role()
    waiting = make_message(make_application(role=role), lane="feedback", state="triaged", intent="status_check")
    batches.send(db_session, settings, new_batch(db_session, role, defaults(TemplateKind.status_update)).id)
    db_session.commit()
    db_session.refresh(waiting)
    assert waiting.reasons[-1] == batches.answered_note(utcnow()) and waiting.reasons[-1].startswith(
        "answered by the status update of "
    )


def test_application_columns_keep_their_meaning_after_a_status_update(
    db_session, settings, defaults, make_role, make_application
):
    role = make_role()
    application = make_application(role=role)
    batches.send(db_session, settings, new_batch(db_session, role, defaults(TemplateKind.status_update)).id)
    db_session.commit()
    row = db_session.get(Application, application.id)
    db_session.refresh(row)
    assert (row.last_update_kind, row.last_update_asked, row.last_batch_at is not None) == ("batch", False, True)


def test_the_api_sends_nothing_without_confirm(client, db_session, make_user, make_role, make_application):
    role = make_role(reference="REQ-1045")
    for i in range(2):
        make_application(name=f"P{i} Smith", role=role)
    token = users.create_token(db_session, make_user("recruiter"), "t")
    db_session.commit()
    body = {"roles": ["REQ-1045"], "stages": ["interviewed"], "template": "status_update", "send": True}
    response = client.post(
        "/api/v1/batches",
        json={**body, "next_update_on": NEXT.isoformat()},
        headers={"Authorization": f"Bearer {token}"},
    )
    rows = db_session.scalar(select(func.count()).select_from(Outbound))
    assert (response.status_code, response.json["count"], response.json["question"], rows) == (
        409,
        2,
        "Send 2 emails to REQ-1045 candidates?",
        0,
    )


def test_the_openapi_document_names_confirm_and_the_cancel_path(client):
    doc = client.get("/api/v1/openapi.json").json
    assert "confirm" in doc["components"]["schemas"]["BatchChoice"].get("properties", {}) or "confirm" in str(
        doc["paths"]["/batches"]["post"]
    )
    assert "post" in doc["paths"]["/outbox/{outbound_id}/cancel"]


def test_a_reply_enqueued_at_once_waits_for_its_window_on_rqs_schedule(
    db_session, settings, make_role, make_application, make_message, undo_team, sink
):
    message = make_message(make_application(role=make_role(team_id=undo_team.id)))
    row = outbox.create_reply(db_session, settings, message_id=message.id, subject="Hi", body_text="Hi", user_id=None)
    db_session.commit()
    redis = queues.connect(settings)
    dispatch.enqueue_delivery(redis, [row.id])  # as a caller that does not know about the window
    worker.build(settings).work(burst=True)
    db_session.refresh(row)
    scheduled = ScheduledJobRegistry(queue=queues.queue(redis, "outbox")).get_job_ids()
    assert (row.state, len(sink.messages), len(scheduled)) == (OutboxState.queued, 0, 1)


@pytest.mark.parametrize(
    "subject, body, said",
    [
        ("Re: hi", " \n\n ", ["the text is empty"]),
        ("  ", "Hello", ["the subject is empty"]),
        ("Re: hi", "Hello {{ first_name }}", ["the text still has “{{ first_name }}”"]),
        ("Re: hi", "Hello", []),
    ],
)
def test_an_empty_part_is_named_with_what_to_do(subject, body, said):
    found = unfilled.problems(subject, body)
    advice = {"is empty": "Write it first.", "still has": "Fill it in or remove it first."}
    assert (found, [advice[k] for k in advice if any(k in s for s in found)][:1]) == (
        said,
        [unfilled.advice(found)] if found else [],
    )
