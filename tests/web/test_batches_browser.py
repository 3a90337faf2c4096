"""The batch page in real Chromium: status update by default, nothing goes without the one
confirmation, confirming sends exactly the count, and undo within the window sends nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from tests.web import test_browser
from triage.db import Application, Candidate, Outbound, OutboxState, Team
from triage.db.base import utcnow
from triage.outbound import dispatch
from triage.runtime import queues, worker

pytestmark = pytest.mark.browser
expect = test_browser.expect
chromium, browse = test_browser.chromium, test_browser.browse  # the suite's Chromium fixtures, shared
NEXT = (date.today() + timedelta(days=10)).isoformat()


@pytest.fixture
def settings(make_settings, redis_client, sink):
    """The suite's settings, sending to this test's sink."""
    return make_settings(SMTP_URL=f"smtp://127.0.0.1:{sink.port}", TRIAGE_FROM_ADDRESS="jobs@acme.example")


def _role(db_session, make_role, make_application, undo_seconds: int, n: int = 3):
    team = Team(name=f"Team undo {undo_seconds}", policy={"undo_send_seconds": undo_seconds})
    db_session.add(team)
    db_session.commit()
    role = make_role(title="QA Engineer", reference="REQ-1045", team_id=team.id)
    for _ in range(n):
        make_application(role)
    return role


def _fill(page, role) -> None:
    page.get_by_label(f"{role.reference} · {role.title}").check()
    page.locator("input[name=next_update_on]").fill(NEXT)


def _rows(db_session) -> int:
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(Outbound))


def _open(browse, make_user):
    page, watch = browse(make_user("recruiter"))
    page.goto(watch.origin + "/batches/")
    return page, watch


def test_the_batch_form_defaults_to_the_status_update(browse, make_user, make_role):
    make_role("QA Engineer")
    page, _ = _open(browse, make_user)
    selected = page.locator("select[name=template_id] option:checked")
    expect(selected).to_contain_text("status update")


def test_send_without_confirming_sends_nothing(browse, make_user, make_role, make_application, db_session, sink):
    role = _role(db_session, make_role, make_application, undo_seconds=0)
    page, _ = _open(browse, make_user)
    _fill(page, role)
    page.locator("#send").click()
    expect(page.locator("#confirm-question")).to_have_text("Send 3 emails to REQ-1045 candidates?")
    assert (_rows(db_session), len(sink.messages)) == (0, 0)


def test_confirming_sends_exactly_the_count(browse, make_user, make_role, make_application, db_session, sink, settings):
    role = _role(db_session, make_role, make_application, undo_seconds=0)
    page, _ = _open(browse, make_user)
    _fill(page, role)
    page.locator("#send").click()
    page.locator("#confirm-send").click()
    expect(page.locator("h1")).to_contain_text("Batch #")
    worker.build(settings).work(burst=True)  # burst: returns once every queued job has run
    wanted = db_session.scalars(select(Candidate.email).join(Application).where(Application.role_id == role.id))
    assert sorted(e.rcpt_tos[0] for e in sink.messages) == sorted(wanted)


def test_undo_within_the_window_leaves_the_sink_empty(
    browse, make_user, make_role, make_application, db_session, sink, settings
):
    role = _role(db_session, make_role, make_application, undo_seconds=60)
    page, _ = _open(browse, make_user)
    _fill(page, role)
    page.locator("#send").click()
    page.locator("#confirm-send").click()
    page.locator("#undo-batch").click()
    expect(page.locator("body")).to_contain_text("Undone")
    # The window is over and every job runs: a cancelled row is never claimed.
    db_session.execute(update(Outbound).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db_session.commit()
    ids = list(db_session.scalars(select(Outbound.id)))
    dispatch.enqueue_delivery(queues.connect(settings), ids)
    worker.build(settings).work(burst=True)
    states = set(db_session.scalars(select(Outbound.state)))
    assert (len(ids), states, len(sink.messages)) == (3, {OutboxState.cancelled}, 0)


def test_a_refused_preview_says_why_in_place_of_the_old_preview(
    browse, make_user, make_role, make_application, db_session
):
    # A refused preview once showed only "That did not work (error 400)" at the top of the page,
    # and the earlier preview stayed as if it still held.
    role = _role(db_session, make_role, make_application, undo_seconds=0)
    page, _ = _open(browse, make_user)
    _fill(page, role)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview")).to_contain_text("3 candidates")
    page.get_by_label(f"{role.reference} · {role.title}").uncheck()
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview [role=alert]")).to_have_text("choose at least one role")
    expect(page.locator("#preview")).not_to_contain_text("3 candidates")
    _fill(page, role)
    page.locator("input[name=next_update_on]").fill((date.today() - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview [role=alert]")).to_contain_text("is in the past")


def test_a_scheduled_batch_asks_to_schedule_and_going_back_keeps_the_form(
    browse, make_user, make_role, make_application, db_session, sink
):
    # The question once read "Send 3 emails ...?" for a batch set to go on Friday, and "No, go
    # back" was a link that emptied the form.
    role = _role(db_session, make_role, make_application, undo_seconds=0)
    page, _ = _open(browse, make_user)
    _fill(page, role)
    later = date.today() + timedelta(days=3)
    page.locator("input[name=send_at]").fill(f"{later.isoformat()}T09:00")
    page.locator("#send").click()
    expect(page.locator("#confirm-question")).to_contain_text("Schedule 3 emails to REQ-1045 candidates for ")
    expect(page.locator("#confirm-question")).to_contain_text("09:00?")
    expect(page.locator("#confirm-send")).to_have_text("Yes, schedule 3 emails")
    page.locator("#confirm-back").click()
    expect(page.get_by_label(f"{role.reference} · {role.title}")).to_be_checked()
    expect(page.locator("input[name=next_update_on]")).to_have_value(NEXT)
    assert (_rows(db_session), len(sink.messages)) == (0, 0)


def test_on_a_phone_the_preview_lists_every_recipient_in_its_own_box(
    browse, make_user, make_role, make_application, db_session
):
    # The preview once showed five sample emails of 24 and no list of who would get one.
    from tests.web.test_phone import OVERFLOW_OUTSIDE_SCROLL_BOXES, PHONE

    role = _role(db_session, make_role, make_application, undo_seconds=0, n=12)
    page, watch = browse(make_user("recruiter"), viewport=PHONE)
    page.goto(watch.origin + "/batches/")
    _fill(page, role)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#recipients summary")).to_have_text("All 12 recipients")  # folded: more than ten
    page.locator("#recipients summary").click()
    expect(page.locator("#recipients tbody tr")).to_have_count(12)
    assert page.evaluate(OVERFLOW_OUTSIDE_SCROLL_BOXES) == []


def test_on_a_phone_the_batch_page_names_its_role_and_lists_each_email(
    browse, make_user, make_role, make_application, db_session, sink, settings
):
    # The batch page once said only "Status update · stages interviewed · next update 2026-12-15".
    from tests.web.test_phone import OVERFLOW_OUTSIDE_SCROLL_BOXES, PHONE

    role = _role(db_session, make_role, make_application, undo_seconds=0)
    page, watch = browse(make_user("recruiter"), viewport=PHONE)
    page.goto(watch.origin + "/batches/")
    _fill(page, role)
    page.locator("#send").click()
    page.locator("#confirm-send").click()
    expect(page.locator("#batch-roles")).to_have_text("For REQ-1045 · QA Engineer")
    worker.build(settings).work(burst=True)  # burst: returns once every queued job has run
    expect(page.locator("#batch-emails tbody tr", has_text="sent")).to_have_count(3)  # the page polls while sending
    assert page.evaluate(OVERFLOW_OUTSIDE_SCROLL_BOXES) == []
