"""Nothing wrong reaches a candidate, seen in Chromium: a reply that still carries a shipped
template's instruction is refused with the reason on screen, and nothing is queued or sent."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.web import test_browser

chromium, browse = test_browser.chromium, test_browser.browse
expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser


def test_a_reply_with_the_templates_instruction_left_in_is_refused_on_screen(
    browse, db_session, make_user, make_role, make_application, make_candidate, make_message
):
    from triage.db import Outbound, Template

    role = make_role("Staff Nurse")
    message = make_message(
        application=make_application(role, make_candidate("Grace Hopper")),
        subject="Why was I not selected?",
        body="Could you tell me what I could improve?",
    )
    db_session.add(
        Template(
            name="Feedback",
            kind="reply",
            subject="Re: your application",
            body_text="Dear {{ first_name }},\n\n[[Write the feedback here.]]\n\nBest wishes",
        )
    )
    db_session.commit()
    page, watch = browse(make_user())
    page.goto(f"{watch.origin}/messages/{message.id}")
    page.get_by_label("Start from a template").select_option(label="reply · Feedback")
    expect(page.locator("#reply-body")).to_have_value(re.compile(r"\[\[Write the feedback here\.\]\]"))
    page.get_by_role("button", name="Preview").click()
    # The preview names the leftover and offers no Send.
    expect(page.locator("#compose [role=alert]")).to_contain_text("[[Write the feedback here.]]")
    expect(page.locator("#send-reply")).to_have_count(0)
    # A Send from a page that still had the button (or a script) is refused the same way, on screen.
    page.evaluate(
        """() => { const f = document.querySelector('form.reply-form'); const b = document.createElement('button');
        b.type = 'submit'; b.name = 'action'; b.value = 'send'; b.id = 'forced-send'; f.appendChild(b); }"""
    )
    page.locator("#forced-send").click()
    expect(page.locator("#compose [role=alert]")).to_contain_text("Not ready to send")
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(Outbound)) == 0
    assert watch.console == []


def test_a_refused_htmx_action_shows_its_reason_instead_of_nothing(browse, make_user, make_role, make_message):
    """Any action the server refuses (here a reply whose CSRF token has gone stale) says so on screen."""
    message = make_message(role=make_role("Staff Nurse"), subject="Availability", body="Tuesday works.")
    page, watch = browse(make_user())
    page.goto(f"{watch.origin}/messages/{message.id}")
    page.locator("#reply-body").fill("Dear Ada, thank you.")
    page.get_by_role("button", name="Preview").click()
    page.locator("#send-reply").wait_for()
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(i => i.value = 'stale')")
    page.evaluate("document.body.setAttribute('hx-headers', '{}')")
    page.locator("#send-reply").click()
    expect(page.locator("#flash-area [role=alert]")).to_contain_text("nothing was changed")
    expect(page.locator("#flash-area [role=alert]")).to_contain_text("error 400")
