"""Real Chromium: a recruiter finds the candidate an unknown Review sender is, confirms, and the message leaves Review.

Run on their own with `pytest -m browser`. Without Chromium they skip, loudly.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import PASSWORD
from tests.hiring.test_browser_hiring import _log_in, chromium  # noqa: F401 - chromium is a fixture
from tests.intake.conftest import make_raw
from triage.db import Channel, Lane, Message
from triage.intake.accept import Delivery, accept_many
from triage.processing import pipeline

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser


def test_a_recruiter_merges_a_second_address_into_a_candidate(
    chromium,  # noqa: F811 - the imported fixture
    live_server,
    settings,
    database,
    keyword_model,
    make_user,
    make_role,
    make_application,
):
    role = make_role("Data Analyst")
    app = make_application(role, "interviewed", email="ada@corp.example")
    raw = make_raw(
        sender="Ada <ada.personal@gmail.example>", body="Thank you for the interview.", date=datetime.now(UTC)
    )
    [accepted] = accept_many(database, [Delivery(raw, Channel.http)], None)
    pipeline.run(database, settings, [accepted.id])
    recruiter = make_user("recruiter", email="rita@example.com")

    context, page, errors = _log_in(chromium, live_server, recruiter.email, PASSWORD)
    page.goto(f"{live_server}/messages/{accepted.id}")
    page.get_by_label("Find the candidate who also writes from").fill("lovelace")
    page.get_by_role("button", name="Find candidate").click()
    page.get_by_label("Ada Lovelace (ada@corp.example)").check()
    page.get_by_role("button", name="Confirm: ada.personal@gmail.example is this candidate").click()
    expect(page.locator(".flash")).to_contain_text("routed again")

    pipeline.run(database, settings, [accepted.id])  # what the enqueued job does
    page.reload()
    expect(page.locator("#same-person")).to_have_count(0)
    expect(page.locator(".sender-history")).to_contain_text(role.reference)
    with database.session() as s:
        routed = s.get(Message, accepted.id)
        assert (routed.lane, routed.application_id) == (Lane.fyi, app.id)
    context.close()
    assert errors == []
