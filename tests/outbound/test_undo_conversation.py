"""Undo send of a reply that answered a whole conversation: every message it closed goes back to
where it was (lane, state), audited, and nothing reaches the candidate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.conftest import csrf_from
from tests.web import test_browser
from triage.db import AuditEvent, Lane, Message, MessageState, Outbound, OutboxState, Team
from triage.db.base import utcnow
from triage.inbox import operations
from triage.outbound import dispatch, outbox
from triage.runtime import queues, worker

chromium, browse = test_browser.chromium, test_browser.browse  # the suite's Chromium fixtures, shared
expect = test_browser.expect


@pytest.fixture
def undo_role(db_session, make_role):
    """A role whose team keeps replies for a minute before they go (undo send)."""
    team = Team(name="Undo a minute", policy={"undo_send_seconds": 60})
    db_session.add(team)
    db_session.commit()
    return make_role(team_id=team.id)


@pytest.fixture
def conversation(undo_role, make_application, make_message):
    """One candidate's two open messages about one role: an answer in Today and a chaser in Held."""
    application = make_application(role=undo_role)
    answer = make_message(application, subject="References", lane="today", state="triaged", is_chaser=False)
    chaser = make_message(application, subject="Any update?", lane="held", state="held")
    return answer, chaser


@pytest.fixture
def recruiter(client, make_user, login):
    user = make_user("recruiter")
    login(user)
    return user


@pytest.fixture
def recruiter_in_browser(make_user, db_session):
    user = make_user("recruiter")
    user.advance_after_action = False  # stay on the replied message, where Undo send is shown
    db_session.commit()
    return user


def _places(db_session, *messages) -> list[tuple]:
    db_session.expire_all()
    return [(db_session.get(Message, m.id).lane, db_session.get(Message, m.id).state) for m in messages]


def _reply_in_the_browser(client, message) -> int:
    token = csrf_from(client.get(f"/messages/{message.id}").get_data(as_text=True))
    response = client.post(
        f"/messages/{message.id}/reply",
        data={"csrf_token": token, "action": "send", "subject": "Re: References", "body": "Thank you, all received."},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(response.headers["Location"].split("sent=")[1].split("&")[0].split("#")[0])


def _undo_send(client, message, outbound_id: int):
    token = csrf_from(client.get(f"/messages/{message.id}").get_data(as_text=True))
    return client.post(f"/outbound/{outbound_id}/cancel", data={"csrf_token": token})


def _deliver_everything_due(db_session, settings) -> None:
    """Past the undo window, every row is enqueued and a real worker runs every job (burst)."""
    db_session.execute(update(Outbound).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db_session.commit()
    dispatch.enqueue_delivery(queues.connect(settings), list(db_session.scalars(select(Outbound.id))))
    worker.build(settings).work(burst=True)


def test_a_reply_closes_the_whole_conversation(client, recruiter, conversation, db_session):
    answer, chaser = conversation
    _reply_in_the_browser(client, answer)
    assert _places(db_session, answer, chaser) == [
        (Lane.today, MessageState.replied),
        (Lane.held, MessageState.replied),
    ]


def test_undo_send_puts_every_message_back_where_it_was(client, recruiter, conversation, db_session):
    answer, chaser = conversation
    outbound_id = _reply_in_the_browser(client, answer)
    _undo_send(client, answer, outbound_id)
    assert _places(db_session, answer, chaser) == [(Lane.today, MessageState.triaged), (Lane.held, MessageState.held)]


def test_undo_send_sends_nothing(client, recruiter, conversation, db_session, settings, sink):
    answer, _ = conversation
    outbound_id = _reply_in_the_browser(client, answer)
    _undo_send(client, answer, outbound_id)
    _deliver_everything_due(db_session, settings)
    assert (db_session.get(Outbound, outbound_id).state, len(sink.messages)) == (OutboxState.cancelled, 0)


def test_without_undo_the_reply_goes_and_the_conversation_stays_answered(
    client, recruiter, conversation, db_session, settings, sink
):
    answer, chaser = conversation
    _reply_in_the_browser(client, answer)
    _deliver_everything_due(db_session, settings)
    assert (len(sink.messages), _places(db_session, chaser)) == (1, [(Lane.held, MessageState.replied)])


def test_each_reopened_message_is_audited_with_where_it_went(client, recruiter, conversation, db_session):
    answer, chaser = conversation
    outbound_id = _reply_in_the_browser(client, answer)
    _undo_send(client, answer, outbound_id)
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "message.reopened"))
    seen = sorted((e.target_id, e.details["outbound_id"], e.details["lane"], e.details["state"]) for e in events)
    assert seen == [(answer.id, outbound_id, "today", "triaged"), (chaser.id, outbound_id, "held", "held")]


def test_the_flash_says_the_conversation_is_open_again(client, recruiter, conversation):
    answer, _ = conversation
    outbound_id = _reply_in_the_browser(client, answer)
    page = client.get(_undo_send(client, answer, outbound_id).headers["Location"]).get_data(as_text=True)
    assert "the reply was cancelled and the conversation is open again" in page


def test_a_message_archived_since_the_reply_stays_archived(
    client, recruiter, conversation, db_session, settings, make_user
):
    answer, chaser = conversation
    outbound_id = _reply_in_the_browser(client, answer)
    message = db_session.get(Message, chaser.id)
    operations.archive(db_session, message, make_user())
    db_session.commit()
    _undo_send(client, answer, outbound_id)
    assert _places(db_session, chaser) == [(Lane.held, MessageState.archived)]


def test_a_later_reply_that_still_goes_keeps_its_message_answered(db_session, settings, conversation, make_user):
    answer, chaser = conversation
    user = make_user()
    first = operations.reply(db_session, settings, answer, user, subject="Re: References", body_text="Thanks.")
    db_session.commit()
    # The recruiter writes to the chaser again (it was already answered by the first reply).
    operations.reply(db_session, settings, db_session.get(Message, chaser.id), user, subject="Re: x", body_text="Soon.")
    db_session.commit()
    assert outbox.cancel(db_session, first.id, by_user=user.id) is True
    db_session.commit()
    assert _places(db_session, answer, chaser) == [
        (Lane.today, MessageState.triaged),
        (Lane.held, MessageState.replied),
    ]


def test_undoing_the_later_reply_leaves_the_first_ones_answer(db_session, settings, conversation, make_user):
    answer, chaser = conversation
    user = make_user()
    operations.reply(db_session, settings, answer, user, subject="Re: References", body_text="Thanks.")
    db_session.commit()
    second = operations.reply(
        db_session, settings, db_session.get(Message, chaser.id), user, subject="Re: x", body_text="Soon."
    )
    db_session.commit()
    assert outbox.cancel(db_session, second.id, by_user=user.id) is True
    db_session.commit()
    assert _places(db_session, answer, chaser) == [
        (Lane.today, MessageState.replied),
        (Lane.held, MessageState.replied),
    ]


def test_a_snoozed_message_replied_to_is_snoozed_again_after_undo(
    db_session, settings, undo_role, make_application, make_message, make_user
):
    until = utcnow() + timedelta(days=2)
    message = make_message(
        make_application(role=undo_role), lane="feedback", state="snoozed", snoozed_until=until, is_chaser=False
    )
    user = make_user()
    row = operations.reply(db_session, settings, message, user, subject="Re: x", body_text="Thanks.")
    db_session.commit()
    outbox.cancel(db_session, row.id, by_user=user.id)
    db_session.commit()
    db_session.refresh(message)
    assert (message.state, message.snoozed_until) == (MessageState.snoozed, until)


# --- in Chromium ----------------------------------------------------------------------------------
@pytest.mark.browser
def test_undo_send_in_the_browser_reopens_the_conversation_and_sends_nothing(
    browse, recruiter_in_browser, conversation, db_session, settings, sink
):
    answer, chaser = conversation
    page, watch = browse(recruiter_in_browser)
    page.goto(f"{watch.origin}/?lane=today")
    page.locator(f"#m{answer.id} a.open").click()
    page.locator("#reply-body").fill("Dear Ada,\n\nThank you, we have everything we need.")
    page.get_by_role("button", name="Preview").click()
    page.locator("#send-reply").click()
    expect(page.locator("#flash-area")).to_contain_text("Reply queued.")
    page.locator("#undo-send").click()
    expect(page.locator("#flash-area")).to_contain_text("the conversation is open again")
    for lane, message in (("today", answer), ("held", chaser)):
        page.goto(f"{watch.origin}/?lane={lane}")
        expect(page.locator(f"#m{message.id}")).to_be_visible()
    _deliver_everything_due(db_session, settings)
    assert (len(sink.messages), watch.console) == (0, [])


def test_the_timeline_says_who_reopened_it(client, recruiter, conversation):
    answer, _ = conversation
    outbound_id = _reply_in_the_browser(client, answer)
    _undo_send(client, answer, outbound_id)
    page = client.get(f"/messages/{answer.id}").get_data(as_text=True)
    assert f"reopened (the reply was cancelled) by {recruiter.name}" in page
