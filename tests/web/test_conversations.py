"""Conversations (one row per candidate and role, acted on together) and undo from the flash message."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from triage.db import Correction, Message
from triage.web.inbox import queries


def _state(db_session, *messages) -> list[tuple[str, str]]:
    db_session.expire_all()
    return [(str(db_session.get(Message, m.id).state), str(db_session.get(Message, m.id).lane)) for m in messages]


def _undo_url(html: str) -> str:
    match = re.search(r'action="(/undo/\d+)"', html)
    assert match, "the flash message offers no Undo"
    return match.group(1)


def _chasers(make_message, application, n: int = 3):
    now = datetime.now(UTC)
    return [
        make_message(
            application=application,
            lane="held",
            intent="status_check",
            subject=f"Any update? {i}",
            received_at=now - timedelta(days=n - i),
        )
        for i in range(n)
    ]


def test_a_lane_lists_one_row_per_candidate_and_role_with_a_count(
    client, login, make_user, make_role, make_application, make_candidate, make_message
):
    role = make_role()
    chasers = _chasers(make_message, make_application(role, make_candidate("Grace Hopper")))
    make_message(application=make_application(role, make_candidate("Alan Turing")), lane="held", intent="status_check")
    login(make_user())
    html = client.get("/?lane=held").get_data(as_text=True)
    rows = re.findall(r'<tr class="msg-row[^"]*" id="m(\d+)"', html)
    assert len(rows) == 2 and str(chasers[-1].id) in rows  # the latest message stands for the conversation
    assert re.search(r'class="conv-count"[^>]*>3<', html)


def test_a_lanes_count_is_its_conversations(db_session, make_role, make_application, make_candidate, make_message):
    role = make_role()
    _chasers(make_message, make_application(role, make_candidate("Grace Hopper")))
    make_message(application=make_application(role, make_candidate("Alan Turing")), lane="held", intent="status_check")
    counts = queries.lane_counts(db_session, None)
    assert (counts.total["held"], counts.by_role[role.id]["held"]) == (2, 2)


def test_archiving_a_row_archives_its_conversation_in_that_lane_only(
    client, login, make_user, make_role, make_application, make_candidate, make_message, csrf, db_session
):
    role = make_role()
    application = make_application(role, make_candidate("Grace Hopper"))
    chasers = _chasers(make_message, application)
    answer = make_message(application=application, lane="today")
    login(make_user())
    client.post(f"/messages/{chasers[-1].id}/archive", data={"csrf_token": csrf()})
    assert _state(db_session, *chasers, answer) == [("archived", "held")] * 3 + [("triaged", "today")]


def test_undo_after_archive_puts_the_conversation_back(
    client, login, make_user, make_role, make_application, make_candidate, make_message, csrf, db_session
):
    chasers = _chasers(make_message, make_application(make_role(), make_candidate()))
    login(make_user())
    response = client.post(
        f"/messages/{chasers[0].id}/archive", data={"csrf_token": csrf(), "next": "/?lane=held"}, follow_redirects=True
    )
    undo = _undo_url(response.get_data(as_text=True))
    response = client.post(undo, data={"csrf_token": csrf(), "next": "/?lane=held"}, follow_redirects=True)
    assert "Undone: 3 messages back" in response.get_data(as_text=True)
    assert _state(db_session, *chasers) == [("held", "held")] * 3


def test_undo_after_htmx_archive_is_offered_out_of_band(
    client, login, make_user, make_role, make_message, csrf, db_session
):
    message = make_message(role=make_role(), lane="fyi", intent="thank_you")
    login(make_user())
    response = client.post(
        f"/messages/{message.id}/archive",
        data={"csrf_token": csrf()},
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/?lane=fyi"},
    )
    html = response.get_data(as_text=True)
    assert 'id="flash-area" hx-swap-oob="true"' in html and 'name="next" value="/?lane=fyi"' in html
    client.post(_undo_url(html), data={"csrf_token": csrf()})
    assert _state(db_session, message) == [("triaged", "fyi")]


def test_undo_of_a_move_restores_lane_and_intent_and_drops_the_correction(
    client, login, make_user, make_role, make_message, csrf, db_session
):
    message = make_message(role=make_role(), lane="review", intent="other")
    login(make_user())
    response = client.post(
        f"/messages/{message.id}/move",
        data={"csrf_token": csrf(), "lane": "feedback", "intent": "feedback_request"},
        follow_redirects=True,
    )
    client.post(_undo_url(response.get_data(as_text=True)), data={"csrf_token": csrf()})
    db_session.expire_all()
    restored = db_session.get(Message, message.id)
    corrections = db_session.scalar(select(func.count()).select_from(Correction))
    assert (str(restored.lane), restored.intent, corrections) == ("review", "other", 0)


def test_undo_of_a_snooze_and_of_a_bulk_action(client, login, make_user, make_role, make_message, csrf, db_session):
    role = make_role()
    snoozed = make_message(role=role, lane="feedback", intent="feedback_request")
    bulk = [make_message(role=role, lane="fyi", intent="thank_you") for _ in range(3)]
    login(make_user())
    response = client.post(
        f"/messages/{snoozed.id}/snooze", data={"csrf_token": csrf(), "hours": "24"}, follow_redirects=True
    )
    client.post(_undo_url(response.get_data(as_text=True)), data={"csrf_token": csrf()})
    response = client.post(
        "/messages/bulk",
        data={"csrf_token": csrf(), "action": "archive", "ids": [m.id for m in bulk]},
        follow_redirects=True,
    )
    client.post(_undo_url(response.get_data(as_text=True)), data={"csrf_token": csrf()})
    assert _state(db_session, snoozed, *bulk) == [("triaged", "feedback")] + [("triaged", "fyi")] * 3


def test_an_action_is_undone_once_and_only_by_its_author(
    client, login, make_user, make_role, make_message, csrf, db_session
):
    message = make_message(role=make_role())
    login(make_user())
    response = client.post(f"/messages/{message.id}/archive", data={"csrf_token": csrf()}, follow_redirects=True)
    undo = _undo_url(response.get_data(as_text=True))
    login(make_user())  # somebody else
    assert client.post(undo, data={"csrf_token": csrf()}).status_code == 400
    assert _state(db_session, message) == [("archived", "today")]


def test_the_archived_and_snoozed_views_list_them(client, login, make_user, make_role, make_message, csrf):
    role = make_role()
    archived = make_message(role=role, subject="Put away", state="archived")
    snoozed = make_message(
        role=role, subject="Later please", state="snoozed", snoozed_until=datetime.now(UTC) + timedelta(days=1)
    )
    login(make_user())
    archived_page = client.get("/?lane=archived").get_data(as_text=True)
    snoozed_page = client.get("/?lane=snoozed").get_data(as_text=True)
    assert (f'id="m{archived.id}"' in archived_page, f'id="m{snoozed.id}"' in archived_page) == (True, False)
    assert f'id="m{snoozed.id}"' in snoozed_page and 'id="view-archived"' in snoozed_page


def test_moving_an_archived_message_brings_it_back(client, login, make_user, make_role, make_message, csrf, db_session):
    message = make_message(role=make_role(), lane="fyi", intent="other", state="archived")
    login(make_user())
    client.post(f"/messages/{message.id}/move", data={"csrf_token": csrf(), "lane": "today", "intent": "other"})
    assert _state(db_session, message) == [("triaged", "today")]


def test_a_lane_move_that_keeps_the_intent_records_no_intent_correction(
    client, login, make_user, make_role, make_message, csrf, db_session
):
    message = make_message(role=make_role(), lane="fyi", intent="other")
    login(make_user())
    client.post(f"/messages/{message.id}/move", data={"csrf_token": csrf(), "lane": "today", "intent": "other"})
    correction = db_session.scalar(select(Correction).where(Correction.message_id == message.id))
    assert (correction.from_lane, correction.to_lane, correction.to_intent) == ("fyi", "today", None)


def test_a_reply_answers_the_whole_conversation(
    client, login, make_user, make_role, make_application, make_candidate, make_message, csrf, db_session
):
    application = make_application(make_role(), make_candidate())
    chasers = _chasers(make_message, application)
    answer = make_message(application=application, lane="today")
    login(make_user())
    client.post(
        f"/messages/{answer.id}/reply",
        data={"csrf_token": csrf(), "action": "send", "subject": "Re: your interview", "body": "Thank you."},
    )
    assert [s for s, _ in _state(db_session, answer, *chasers)] == ["replied"] * 4


def test_apply_to_selected_with_nothing_ticked_says_so(client, login, make_user, make_role, make_message, csrf):
    make_message(role=make_role())
    login(make_user())
    response = client.post(
        "/messages/bulk",
        data={"csrf_token": csrf(), "action": "archive", "next": "/?lane=today"},
        follow_redirects=True,
    )
    assert response.status_code == 200 and "Nothing selected" in response.get_data(as_text=True)


def test_admins_see_failed_messages_in_review_with_the_reason_and_retry_them(
    client, login, make_user, make_role, make_message, csrf, db_session
):
    failed = make_message(role=make_role(), lane="review", state="failed", error="ValueError: bad charset")
    login(make_user("admin"))
    page = client.get("/?lane=review").get_data(as_text=True)
    assert f'id="failed-{failed.id}"' in page and "ValueError: bad charset" in page
    client.post(f"/messages/{failed.id}/retry", data={"csrf_token": csrf(), "next": "/?lane=review"})
    db_session.expire_all()
    again = db_session.get(Message, failed.id)
    assert (str(again.state), again.error) == ("received", None)


def test_recruiters_do_not_get_the_failed_list_or_retry(client, login, make_user, make_role, make_message, csrf):
    failed = make_message(role=make_role(), lane="review", state="failed", error="ValueError: bad charset")
    login(make_user())
    page = client.get("/?lane=review").get_data(as_text=True)
    response = client.post(f"/messages/{failed.id}/retry", data={"csrf_token": csrf()})
    assert (f'id="failed-{failed.id}"' in page, response.status_code) == (False, 403)


def test_the_message_page_shows_the_whole_thread_in_order(
    client, login, make_user, make_role, make_application, make_candidate, make_message, db_session
):
    from triage.db import Outbound

    now = datetime.now(UTC)
    application = make_application(make_role(), make_candidate("Grace Hopper"))
    first = make_message(application=application, body="When will I hear back?", received_at=now - timedelta(days=5))
    common = dict(application_id=application.id, candidate_id=application.candidate_id, role_id=application.role_id)
    db_session.add_all(
        [
            Outbound(
                message_id="<r1@x>",
                kind="reply",
                from_address="jobs@x",
                to_address="g@x",
                subject="Re: when",
                body_text="We decide on Friday.",
                state="sent",
                created_at=now - timedelta(days=4),
                **common,
            ),
            Outbound(
                message_id="<b1@x>",
                kind="batch",
                from_address="jobs@x",
                to_address="g@x",
                subject="Update",
                body_text="Still deciding, news by the 12th.",
                state="sent",
                created_at=now - timedelta(days=2),
                **common,
            ),
        ]
    )
    db_session.commit()
    latest = make_message(application=application, body="Thanks, I have one more question.", received_at=now)
    login(make_user())
    page = client.get(f"/messages/{latest.id}").get_data(as_text=True)
    thread = page[page.index('id="thread-title"') :]
    order = [thread.index(text) for text in ("When will I hear back?", "We decide on Friday.", "news by the 12th")]
    assert order == sorted(order) and "This message (above)." in thread and first.id != latest.id


def test_an_empty_inbox_says_where_to_forward_mail(client, login, make_user):
    login(make_user())
    page = client.get("/").get_data(as_text=True)
    assert 'id="forward-help"' in page and "<code>jobs@triage.localhost</code>" in page


def test_error_pages_are_friendly_and_in_the_layout(client, login, make_user):
    login(make_user())
    page = client.get("/messages/999999").get_data(as_text=True)
    assert "Nothing here" in page and "requested URL" not in page and 'class="top"' in page


def test_the_timeline_speaks_in_words(client, login, make_user, make_role, make_message):
    message = make_message(role=make_role(), lane="today", intent="info_response")
    login(make_user())
    page = client.get(f"/messages/{message.id}").get_data(as_text=True)
    assert "answers our question · in Today · waiting for us" in page and "info_response ·" not in page


def test_send_opens_the_next_conversation_and_offers_undo_send(
    client, login, make_user, make_role, make_application, make_candidate, make_message, csrf
):
    role = make_role()
    now = datetime.now(UTC)
    first = make_message(application=make_application(role, make_candidate()), received_at=now - timedelta(hours=3))
    second = make_message(application=make_application(role, make_candidate()), received_at=now - timedelta(hours=1))
    login(make_user())
    response = client.post(
        f"/messages/{first.id}/reply",
        data={"csrf_token": csrf(), "action": "send", "subject": "Re: your interview", "body": "Thank you."},
    )
    assert response.headers["Location"].startswith(f"/messages/{second.id}?sent=")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'action="/outbound/\d+/cancel"', page) and "Undo send" in page


def test_the_advance_setting_keeps_you_on_the_message_when_off(
    client, login, make_user, make_role, make_message, csrf, db_session
):
    role = make_role()
    first, _second = make_message(role=role), make_message(role=role)
    user = make_user()
    login(user)
    client.post("/preferences/advance", data={"csrf_token": csrf(), "advance": "0"})
    response = client.post(f"/messages/{first.id}/archive", data={"csrf_token": csrf(), "next": "message"})
    db_session.expire_all()
    assert (
        response.headers["Location"] == f"/messages/{first.id}"
        and db_session.get(type(user), user.id).advance_after_action is False
    )


def test_archive_opens_the_next_conversation_by_default(client, login, make_user, make_role, make_message, csrf):
    role = make_role()
    now = datetime.now(UTC)
    first = make_message(role=role, received_at=now - timedelta(hours=3))
    second = make_message(role=role, received_at=now - timedelta(hours=1))
    login(make_user())
    response = client.post(f"/messages/{first.id}/archive", data={"csrf_token": csrf(), "next": "message"})
    assert response.headers["Location"] == f"/messages/{second.id}"


@pytest.mark.parametrize(
    "lane, words",
    [("fyi", "nothing owed"), ("review", "waiting for a person to decide"), ("today", "waiting for us")],
)
def test_an_open_message_is_said_as_its_lane_means(lane, words):
    assert queries.said("thank_you", lane, "triaged").endswith(f" · {words}")


def test_undo_of_one_message_says_it_was(client, login, make_user, make_role, make_message, csrf, db_session):
    message = make_message(role=make_role(), lane="fyi")
    login(make_user())
    response = client.post(
        f"/messages/{message.id}/archive", data={"csrf_token": csrf(), "next": "/?lane=fyi"}, follow_redirects=True
    )
    undo = _undo_url(response.get_data(as_text=True))
    response = client.post(undo, data={"csrf_token": csrf(), "next": "/?lane=fyi"}, follow_redirects=True)
    assert "Undone: 1 message back as it was." in response.get_data(as_text=True)
