"""Conversations, undo, forwards and the keyboard in real Chromium, on a desktop and on a phone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.web import test_browser, test_forward_display, test_phone

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser

# The Chromium fixtures of the browser tests, shared (a module-level name is how pytest finds them).
chromium = test_browser.chromium
browse = test_browser.browse

SIZES = {"desktop": test_phone.DESKTOP, "phone": test_phone.PHONE}


@pytest.fixture
def chasing(make_role, make_application, make_candidate, make_message):
    """Grace has chased three times about one role; Alan once."""
    role = make_role("Staff Nurse")
    now = datetime.now(UTC)
    grace = make_application(role, make_candidate("Grace Hopper"))
    chasers = [
        make_message(
            application=grace,
            lane="held",
            intent="status_check",
            subject=f"Any update? {i}",
            received_at=now - timedelta(days=3 - i),
        )
        for i in range(3)
    ]
    alan = make_message(
        application=make_application(role, make_candidate("Alan Turing")), lane="held", intent="status_check"
    )
    return chasers, alan


@pytest.mark.parametrize("size", sorted(SIZES))
def test_a_conversation_is_one_row_and_archives_together_then_undo_brings_it_back(size, browse, make_user, chasing):
    chasers, alan = chasing
    page, watch = browse(make_user(), viewport=SIZES[size])
    page.goto(watch.origin + "/?lane=held")
    expect(page.locator("tr.msg-row")).to_have_count(2)
    row = page.locator(f"#m{chasers[-1].id}")
    expect(row.locator(".conv-count")).to_have_text("3")
    test_phone.shot(page, f"{size}-conversation")
    row.locator("button.archive").click()
    expect(page.locator("tr.msg-row")).to_have_count(1)
    expect(page.locator("#count-held")).to_have_text("1")
    undo = page.locator("#flash-area #undo")
    expect(undo).to_be_visible()
    test_phone.shot(page, f"{size}-undo")
    assert test_phone.on_screen(page, undo) or size == "desktop"
    undo.click()
    page.get_by_text("Undone: 3 messages back").wait_for()
    expect(page.locator("tr.msg-row")).to_have_count(2)
    assert page.locator("#count-held").inner_text() == "2" and watch.console == []  # conversations, as the rows


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_message_page_shows_the_conversation_and_the_archived_view_recovers_it(size, browse, make_user, chasing):
    chasers, _ = chasing
    page, watch = browse(make_user(), viewport=SIZES[size])
    page.goto(f"{watch.origin}/messages/{chasers[-1].id}")
    expect(page.locator("ol.thread > li")).to_have_count(3)
    test_phone.shot(page, f"{size}-thread")
    assert page.evaluate(test_phone.OVERFLOW) == []
    (page.locator("#quick-archive") if size == "phone" else page.locator("#archive-btn")).click()
    page.goto(watch.origin + "/?lane=archived")
    expect(page.locator("tr.msg-row")).to_have_count(3)
    assert page.evaluate(test_phone.OVERFLOW) == []


@pytest.mark.parametrize("size", sorted(SIZES))
def test_a_forward_names_its_forwarder_and_shows_the_note_first(
    size, browse, db_session, make_user, make_role, make_message
):
    forwarder = make_user()
    forwarder.name = "Priya Shah"
    db_session.commit()
    message = make_message(
        role=make_role(),
        raw=test_forward_display.INLINE.encode(),
        forwarded_by_id=forwarder.id,
        sent_at=datetime(2026, 10, 26, 14, 25, 8, tzinfo=UTC),
        reply_text="Hello, I wanted to ask about my application.",
    )
    page, watch = browse(make_user(), viewport=SIZES[size])
    page.goto(f"{watch.origin}/messages/{message.id}")
    test_phone.shot(page, f"{size}-forward")
    expect(page.locator("#forwarded-by")).to_have_text("Priya Shah")
    expect(page.locator("#received")).to_have_text("26 Oct 2026 14:25 UTC")
    note = page.locator("#forward-note").bounding_box()
    text = page.get_by_text("Hello, I wanted to ask about my application.").first.bounding_box()
    assert note["y"] < text["y"] and page.evaluate(test_phone.OVERFLOW) == []


def test_lane_keys_and_slash_work_on_a_message_page(browse, make_user, make_role, make_message):
    message = make_message(role=make_role())
    page, watch = browse(make_user())
    page.goto(f"{watch.origin}/messages/{message.id}")
    page.keyboard.press("4")
    page.wait_for_url("**/?lane=fyi")
    page.goto(f"{watch.origin}/messages/{message.id}")
    page.keyboard.press("/")
    page.wait_for_url("**/#search")
    expect(page.locator("#q")).to_be_focused()
    assert watch.console == []


def test_apply_to_selected_with_nothing_ticked_explains(browse, make_user, make_role, make_message):
    make_message(role=make_role())
    page, watch = browse(make_user())
    page.get_by_role("button", name="Apply to selected").click()
    page.get_by_text("Nothing selected").wait_for()
    assert page.url.startswith(watch.origin + "/") and page.locator("tr.msg-row").count() == 1


def test_an_empty_inbox_shows_where_to_forward_on_a_phone(browse, make_user):
    page, watch = browse(make_user(), viewport=test_phone.PHONE)
    test_phone.shot(page, "phone-empty")
    expect(page.locator("#forward-help code")).to_have_text("jobs@triage.localhost")
    assert page.evaluate(test_phone.OVERFLOW) == []


def test_a_missing_page_is_friendly_and_in_the_layout(browse, make_user):
    page, watch = browse(make_user(), viewport=test_phone.PHONE)
    response = page.goto(watch.origin + "/messages/987654")
    test_phone.shot(page, "phone-404")
    assert response.status == 404 and page.locator("#error-title").inner_text() == "Nothing here"
    assert test_phone.on_screen(page, page.get_by_role("button", name="Log out"))
