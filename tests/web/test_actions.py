"""Acting on one message: archive, snooze, move (a correction), stage, reply; CSRF; audit."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from triage.db import AuditEvent, Correction, Outbound


def _reload(db_session, row):
    db_session.expire_all()
    return db_session.get(type(row), row.id)


def _actions(db_session, message_id: int) -> list[str]:
    return list(
        db_session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.target_type == "message", AuditEvent.target_id == message_id)
            .order_by(AuditEvent.id)
        )
    )


def test_archive_closes_the_message_and_audits_it(client, login, make_user, make_role, make_message, csrf, db_session):
    message = make_message(role=make_role())
    login(make_user())
    response = client.post(f"/messages/{message.id}/archive", data={"csrf_token": csrf()})
    assert response.status_code == 302
    assert (_reload(db_session, message).state, _actions(db_session, message.id)) == ("archived", ["message.archive"])


def test_a_form_without_csrf_token_is_refused(client, login, make_user, make_role, make_message, db_session):
    message = make_message(role=make_role())
    login(make_user())
    response = client.post(f"/messages/{message.id}/archive")
    assert response.status_code == 400 and _reload(db_session, message).state == "triaged"


def test_htmx_archive_sends_the_token_in_a_header_and_gets_new_counts(
    client, login, make_user, make_role, make_message, csrf, db_session
):
    role = make_role()
    message = make_message(role=role)
    make_message(role=role)
    login(make_user())
    response = client.post(f"/messages/{message.id}/archive", headers={"HX-Request": "true", "X-CSRFToken": csrf()})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'hx-swap-oob="true"' in page and 'id="count-today">1<' in page


@pytest.fixture
def archived_from_fyi(client, login, make_user, make_role, make_message, csrf) -> str:
    """The htmx answer to archiving one of two FYI messages from the FYI list."""
    role = make_role()
    message = make_message(role=role, lane="fyi")
    make_message(role=role, lane="fyi")
    login(make_user())
    return client.post(
        f"/messages/{message.id}/archive",
        headers={"HX-Request": "true", "X-CSRFToken": csrf(), "HX-Current-URL": "http://localhost/?lane=fyi"},
    ).get_data(as_text=True)


def test_htmx_archive_keeps_the_current_lane_marked(archived_from_fyi):
    current = re.findall(r'<a href="[^"]*\?lane=(\w+)"[^>]*class="lane lane-\w+ current"', archived_from_fyi)
    assert current == ["fyi"] and 'aria-current="page"' in archived_from_fyi


def test_htmx_archive_refreshes_the_lists_open_count(archived_from_fyi):
    page = archived_from_fyi
    assert re.search(r'id="open-count" hx-swap-oob="true">· 1 open<', page)


def test_line_manager_cannot_act_on_another_roles_message(
    client, login, make_user, make_role, make_message, csrf, db_session
):
    mine, theirs = make_role("Nurse"), make_role("Chef")
    other = make_message(role=theirs)
    login(make_user("line_manager", roles=[mine]))
    response = client.post(f"/messages/{other.id}/archive", data={"csrf_token": csrf()})
    assert response.status_code == 404 and _reload(db_session, other).state == "triaged"


def test_snooze_hides_the_message_until_the_time(client, login, make_user, make_role, make_message, csrf, db_session):
    message = make_message(role=make_role())
    login(make_user())
    client.post(f"/messages/{message.id}/snooze", data={"csrf_token": csrf(), "hours": "24"})
    row = _reload(db_session, message)
    assert row.state == "snoozed" and row.snoozed_until > datetime.now(UTC) + timedelta(hours=23)


def test_snooze_into_the_past_is_refused(client, login, make_user, make_role, make_message, csrf, db_session):
    message = make_message(role=make_role())
    login(make_user())
    response = client.post(f"/messages/{message.id}/snooze", data={"csrf_token": csrf(), "until": "2001-01-01T09:00"})
    assert response.status_code == 400 and _reload(db_session, message).state == "triaged"


def test_move_records_a_correction(client, login, make_user, make_role, make_message, csrf, db_session):
    message = make_message(role=make_role(), lane="review", intent="other")
    user = make_user()
    login(user)
    client.post(
        f"/messages/{message.id}/move", data={"csrf_token": csrf(), "lane": "feedback", "intent": "feedback_request"}
    )
    correction = db_session.scalar(select(Correction).where(Correction.message_id == message.id))
    assert (
        correction.from_lane,
        correction.to_lane,
        correction.from_intent,
        correction.to_intent,
        correction.user_id,
    ) == ("review", "feedback", "other", "feedback_request", user.id)


def test_move_puts_the_message_in_the_new_lane_with_a_reason(
    client, login, make_user, make_role, make_message, csrf, db_session
):
    message = make_message(role=make_role(), lane="fyi", intent="thank_you", reasons=["thank-you note; nothing owed"])
    login(make_user())
    client.post(f"/messages/{message.id}/move", data={"csrf_token": csrf(), "lane": "today", "intent": "thank_you"})
    row = _reload(db_session, message)
    # The person's move is the reason now, first and in words; the routing's reason stays below.
    assert row.reasons[0].endswith(" from FYI to Today") and row.reasons[0].startswith("moved by ")
    assert row.reasons[1:] == ["earlier: thank-you note; nothing owed"]
    assert (row.lane, row.state, row.due_at is not None) == ("today", "triaged", True)


def test_moving_to_held_waits_for_the_batch(client, login, make_user, make_role, make_message, csrf, db_session):
    message = make_message(role=make_role(), lane="feedback", intent="status_check")
    login(make_user())
    client.post(f"/messages/{message.id}/move", data={"csrf_token": csrf(), "lane": "held", "intent": "status_check"})
    row = _reload(db_session, message)
    assert (row.lane, row.state, _actions(db_session, message.id)) == ("held", "held", ["message.move", "message.hold"])


def test_change_stage_updates_the_application_and_audits(
    client, login, make_user, make_role, make_application, make_message, csrf, db_session
):
    app = make_application(make_role(), stage="interviewed")
    message = make_message(application=app)
    login(make_user())
    client.post(f"/messages/{message.id}/stage", data={"csrf_token": csrf(), "stage": "offer"})
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "application.stage"))
    assert (_reload(db_session, app).stage, event.details["from_stage"], event.target_id) == (
        "offer",
        "interviewed",
        app.id,
    )


def test_template_placeholders_are_filled(
    client, login, make_user, make_role, make_application, make_candidate, make_message, db_session
):
    from triage.db import Template

    role = make_role("Staff Nurse")
    message = make_message(application=make_application(role, make_candidate("Grace Hopper")))
    template = Template(
        name="thanks", kind="reply", subject="Re", body_text="Dear {{ first_name }}, about {{ role_title }}."
    )
    db_session.add(template)
    db_session.commit()
    login(make_user())
    page = client.get(f"/messages/{message.id}/compose?template={template.id}").get_data(as_text=True)
    assert "Dear Grace, about Staff Nurse." in page


def test_preview_shows_the_reply_without_sending(client, login, make_user, make_role, make_message, csrf, db_session):
    message = make_message(role=make_role())
    login(make_user())
    page = client.post(
        f"/messages/{message.id}/reply",
        data={"csrf_token": csrf(), "subject": "Re: hi", "body": "Thank you!", "action": "preview"},
    ).get_data(as_text=True)
    assert 'id="preview"' in page and "Thank you!" in page and 'id="send-reply"' in page
    assert db_session.scalar(select(Outbound.id)) is None


def test_send_queues_through_the_outbox_and_enqueues(
    client, login, make_user, make_role, make_message, csrf, db_session, redis_client
):
    from triage.runtime import queues

    message = make_message(role=make_role())
    login(make_user())
    response = client.post(
        f"/messages/{message.id}/reply",
        data={"csrf_token": csrf(), "subject": "Re: hi", "body": "Thank you!", "action": "send"},
    )
    out = db_session.scalar(select(Outbound))
    assert (response.status_code, out.reply_to_message_id, out.state, _reload(db_session, message).state) == (
        302,
        message.id,
        "queued",
        "replied",
    )
    assert queues.queue(redis_client, "outbox").count == 1


def test_reply_status_shows_failure_and_why(client, login, make_user, make_role, make_message, db_session):
    message = make_message(role=make_role())
    out = Outbound(
        message_id="<x@triage>",
        kind="reply",
        reply_to_message_id=message.id,
        role_id=message.role_id,
        from_address="jobs@triage.localhost",
        to_address="c@example.org",
        subject="Re: hi",
        body_text="hi",
        state="failed",
        last_error="550 mailbox unavailable",
    )
    db_session.add(out)
    db_session.commit()
    login(make_user())
    page = client.get(f"/messages/{message.id}").get_data(as_text=True)
    assert "failed" in page and "Not sent: 550 mailbox unavailable" in page


def test_empty_reply_is_refused(client, login, make_user, make_role, make_message, csrf, db_session):
    message = make_message(role=make_role())
    login(make_user())
    response = client.post(
        f"/messages/{message.id}/reply",
        data={"csrf_token": csrf(), "subject": "Re: hi", "body": "  ", "action": "send"},
    )
    # The form comes back with the reason beside it (an error banner at the top of a long page
    # was out of sight), and nothing is queued.
    page = response.get_data(as_text=True)
    assert ("the text is empty" in page, "Write it first." in page, 'id="send-reply"' in page) == (True, True, False)
    assert db_session.scalar(select(Outbound.id)) is None


@pytest.mark.parametrize("body", ["   \n\n   ", ""])
def test_a_blank_reply_gets_no_send_button_in_its_preview(
    client, login, make_user, make_role, make_message, csrf, db_session, body
):
    message = make_message(role=make_role())
    login(make_user())
    page = client.post(
        f"/messages/{message.id}/reply",
        data={"csrf_token": csrf(), "subject": "Re: hi", "body": body, "action": "preview"},
    ).get_data(as_text=True)
    assert ("Not ready to send: the text is empty. Write it first." in page, 'id="send-reply"' in page) == (True, False)
