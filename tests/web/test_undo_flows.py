"""Undo from a message page: back to the message acted on; Undo send puts the reply back in the box;
a message page's title names who wrote."""

from __future__ import annotations

import html as htmllib
import re
from datetime import UTC, datetime, timedelta

import pytest

from triage.db import Message


def _two_conversations(make_role, make_application, make_candidate, make_message):
    """Two open messages of one role from two candidates: the first, then the one a page moves on to."""
    role = make_role()
    now = datetime.now(UTC)
    first = make_message(application=make_application(role, make_candidate()), received_at=now - timedelta(hours=3))
    second = make_message(application=make_application(role, make_candidate()), received_at=now - timedelta(hours=1))
    return first, second


def _undo_form(page: str) -> tuple[str, str]:
    """The flash message's Undo form: where it posts and the page it returns to."""
    match = re.search(r'action="(/undo/\d+)">\s*<input[^>]*>\s*<input type="hidden" name="next" value="([^"]*)"', page)
    assert match, "the flash message offers no Undo"
    return match.group(1), htmllib.unescape(match.group(2))


def _field(page: str, pattern: str) -> str:
    match = re.search(pattern, page, re.S)
    assert match, f"no {pattern!r} on the page"
    return htmllib.unescape(match.group(1))


@pytest.mark.parametrize("action, form", [("archive", {}), ("snooze", {"hours": "24"})])
def test_undo_on_the_next_message_returns_to_the_message_acted_on(
    action, form, client, login, make_user, make_role, make_application, make_candidate, make_message, csrf, db_session
):
    first, second = _two_conversations(make_role, make_application, make_candidate, make_message)
    login(make_user())  # advance_after_action is on by default: the page moves on to `second`
    moved_on = client.post(
        f"/messages/{first.id}/{action}", data={"csrf_token": csrf(), "next": "message", **form}, follow_redirects=True
    )
    assert moved_on.request.path == f"/messages/{second.id}"
    undo, back_to = _undo_form(moved_on.get_data(as_text=True))
    response = client.post(undo, data={"csrf_token": csrf(), "next": back_to})
    db_session.expire_all()
    assert (response.headers["Location"], str(db_session.get(Message, first.id).state)) == (
        f"/messages/{first.id}",
        "triaged",
    )


def test_the_help_text_names_every_action_that_moves_on(client, login, make_user, make_role, make_message):
    message = make_message(role=make_role())
    login(make_user())
    page = client.get(f"/messages/{message.id}").get_data(as_text=True)
    assert "After archive, snooze or Send: the next conversation opens." in page


@pytest.fixture
def cancelled_reply(client, login, make_user, make_role, make_application, make_candidate, make_message, csrf):
    """A reply sent from a message page (it asks for something), then cancelled: the page Undo send opens."""
    message = make_message(application=make_application(make_role(), make_candidate()))
    user = make_user()
    user.advance_after_action = False
    login(user)
    sent = client.post(
        f"/messages/{message.id}/reply",
        data={
            "csrf_token": csrf(),
            "action": "send",
            "subject": "Re: your references <2>",
            "body": "Dear Ada,\n\nCould you send the second reference & the form?",
            "asks_for_info": "1",
        },
    )
    outbound_id = int(re.search(r"sent=(\d+)", sent.headers["Location"]).group(1))
    response = client.post(f"/outbound/{outbound_id}/cancel", data={"csrf_token": csrf()}, follow_redirects=True)
    return response.get_data(as_text=True)


def test_undo_send_puts_the_reply_back_in_the_box(cancelled_reply):
    body = _field(cancelled_reply, r'<textarea id="reply-body"[^>]*>(.*?)</textarea>')
    assert body == "Dear Ada,\n\nCould you send the second reference & the form?"


def test_undo_send_keeps_the_replys_subject(cancelled_reply):
    assert _field(cancelled_reply, r'id="reply-subject" name="subject" value="([^"]*)"') == "Re: your references <2>"


def test_undo_send_keeps_the_ask_ticked(cancelled_reply):
    assert re.search(r'name="asks_for_info" value="1" checked', cancelled_reply)


def test_undo_send_says_where_the_reply_is(cancelled_reply):
    assert "Your reply is back in the box below" in cancelled_reply


def test_a_draft_that_is_not_a_number_is_refused_by_name(client, login, make_user, make_role, make_message):
    message = make_message(role=make_role())
    login(make_user())
    response = client.get(f"/messages/{message.id}?draft=abc")
    assert response.status_code == 400 and "draft" in response.get_data(as_text=True)


def _title(page: str) -> str:
    return htmllib.unescape(_field(page, r"<title>(.*?)</title>"))


def test_a_message_page_title_names_the_candidate(
    client, login, make_user, make_role, make_application, make_candidate, make_message
):
    application = make_application(make_role(), make_candidate("Grace Hopper"))
    message = make_message(application=application, subject="Data Analyst application")
    login(make_user())
    page = client.get(f"/messages/{message.id}").get_data(as_text=True)
    assert _title(page) == "Grace Hopper – Data Analyst application · Triage"


def test_a_message_page_title_names_the_sender_without_a_candidate(client, login, make_user, make_message):
    message = make_message(lane="review", subject="Data Analyst application", from_name="Alan Turing")
    login(make_user())
    page = client.get(f"/messages/{message.id}").get_data(as_text=True)
    assert _title(page) == "Alan Turing – Data Analyst application · Triage"
