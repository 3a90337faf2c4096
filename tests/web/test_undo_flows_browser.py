"""Undo from a message page in real Chromium: back on the message acted on; Undo send refills the reply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.web import test_browser

# The Chromium fixtures of the browser tests, shared (a module-level name is how pytest finds them).
chromium = test_browser.chromium
browse = test_browser.browse

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser


def test_snooze_then_undo_comes_back_to_the_message(
    browse, live_server, make_user, make_role, make_application, make_candidate, make_message
):
    role = make_role()
    now = datetime.now(UTC)
    first = make_message(
        application=make_application(role, make_candidate("Grace Hopper")), received_at=now - timedelta(hours=3)
    )
    second = make_message(
        application=make_application(role, make_candidate("Alan Turing")), received_at=now - timedelta(hours=1)
    )
    page, watch = browse(make_user())
    page.goto(f"{live_server}/messages/{first.id}")
    page.get_by_role("button", name="Snooze", exact=True).click()
    page.wait_for_url(f"{live_server}/messages/{second.id}")
    page.locator("#flash-area #undo").click()
    page.wait_for_url(f"{live_server}/messages/{first.id}")
    expect(page.locator("#flash-area")).to_contain_text("Undone: 1 message back as it was.")
    expect(page).to_have_title("Grace Hopper – Re: your interview · Triage")
    assert watch.console == []


def test_undo_send_opens_the_reply_again_with_its_text(
    browse, live_server, make_user, make_role, make_application, make_candidate, make_message
):
    message = make_message(application=make_application(make_role(), make_candidate()))
    page, watch = browse(make_user())
    page.goto(f"{live_server}/messages/{message.id}")
    page.locator("#reply-subject").fill("Re: the second reference")
    page.locator("#reply-body").fill("Dear Ada,\n\nCould you send the second reference?")
    page.get_by_label("This reply asks the candidate for something").check()
    page.get_by_role("button", name="Preview").click()
    page.locator("#send-reply").click()
    expect(page.locator("#flash-area")).to_contain_text("Reply queued.")
    page.locator("#undo-send").click()
    expect(page.locator("#flash-area")).to_contain_text("the conversation is open again")
    expect(page.locator("#reply-body")).to_have_value("Dear Ada,\n\nCould you send the second reference?")
    expect(page.locator("#reply-subject")).to_have_value("Re: the second reference")
    expect(page.get_by_label("This reply asks the candidate for something")).to_be_checked()
    assert watch.console == []
