"""The inbox list as a recruiter reads it in real Chromium: nothing that matters cut off, and the keyboard.

A desktop row keeps its clock and the application's stage whole; a phone card shows the first
reason; two skip links reach the messages; archiving from the keyboard keeps the focus on a row.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.web import test_browser, test_phone

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser

# The Chromium fixtures of the browser tests, shared (a module-level name is how pytest finds them).
chromium = test_browser.chromium
browse = test_browser.browse

REASONS = [
    "the candidate answers our request for references sent on Monday",
    "mentions a competing offer with a deadline on Friday",
    "2nd message in 3 days",
]

# Each row's clock and stage: the text each shows, and whether any of it is cut off (hidden by
# its own box or by a box around it that clips).
CUT = """() => {
  const cut = (el) => {
    if (el.scrollWidth > el.clientWidth + 0.5) return true;
    const box = el.getBoundingClientRect();
    for (let up = el.parentElement; up && up.tagName !== "TR"; up = up.parentElement) {
      if (getComputedStyle(up).overflowX === "visible") continue;
      const outer = up.getBoundingClientRect();
      if (box.left < outer.left - 0.5 || box.right > outer.right + 0.5) return true;
    }
    return false;
  };
  const found = [];
  const facts = "tr.msg-row td.time .overdue, tr.msg-row td.time .due, tr.msg-row .stage";
  for (const el of document.querySelectorAll(facts)) {
    found.push([el.textContent.trim(), cut(el)]);
  }
  return found;
}"""


@pytest.fixture
def today_lane(make_role, make_application, make_candidate, make_message):
    """Today, as a recruiter left it over a fortnight: overdue by hours and by days, long reasons."""
    now = datetime.now(UTC)
    role = make_role("Senior Staff Nurse, Intensive Care", reference="REQ-1043")
    ages = [timedelta(days=14, hours=1), timedelta(days=5), timedelta(hours=30), timedelta(hours=2)]
    stages = ["interviewing", "interviewed", "screening", "offer"]
    names = ["Grace Brewster Murray Hopper", "Alan Turing", "Ada Lovelace", "Barbara Liskov"]
    return [
        make_message(
            application=make_application(role, make_candidate(name), stage=stage),
            subject=f"References attached as you asked ({name})",
            received_at=now - age,
            reasons=REASONS,
        )
        for name, stage, age in zip(names, stages, ages, strict=True)
    ]


@pytest.mark.parametrize("width", [1024, 1200, 1366])
def test_desktop_rows_show_the_whole_clock_and_stage_and_stay_compact(browse, make_user, today_lane, width):
    page, watch = browse(make_user(), viewport={"width": width, "height": 900})
    page.goto(watch.origin + "/?lane=today")
    test_phone.shot(page, f"desktop-today-rows-{width}")
    shown = page.evaluate(CUT)
    heights = [page.locator("tr.msg-row").nth(i).bounding_box()["height"] for i in range(4)]
    assert (len(shown), [text for text, cut in shown if cut], max(heights) <= 64) == (8, [], True), (shown, heights)


def test_phone_card_shows_the_first_reason_on_one_line_under_the_subject(browse, make_user, today_lane):
    page, watch = browse(make_user(), viewport=test_phone.PHONE)
    page.goto(watch.origin + "/?lane=today")
    test_phone.shot(page, "phone-today-reasons")
    row = page.locator("tr.msg-row").first
    why, subject = row.locator("td.reasons"), row.locator("td.subject")
    line = float(why.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)"))
    box = why.bounding_box()
    assert (
        why.is_visible(),
        why.inner_text().startswith(REASONS[0][:20]),
        box["y"] >= subject.bounding_box()["y"] + subject.bounding_box()["height"] - 0.5,
        box["height"] <= line * 1.2,
        page.evaluate(test_phone.OVERFLOW),
    ) == (True, True, True, True, []), box


def test_skip_to_messages_reaches_the_first_message_in_two_tabs(browse, make_user, today_lane):
    page, watch = browse(make_user(), viewport=test_phone.DESKTOP)
    page.goto(watch.origin + "/?lane=today")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to messages")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator("tr.msg-row").first.locator("a.open")).to_be_focused()


def archive_with_enter(page, row) -> None:
    """Reach the row's Archive button from its link with Tab, as a keyboard user does, and press Enter."""
    row.locator("a.open").focus()
    page.keyboard.press("Tab")
    expect(row.locator("button.archive")).to_be_focused()
    page.keyboard.press("Enter")


def test_archiving_with_enter_focuses_the_next_rows_link(browse, make_user, today_lane):
    page, watch = browse(make_user(), viewport=test_phone.DESKTOP)
    page.goto(watch.origin + "/?lane=today")
    rows = page.locator("tr.msg-row")
    after = rows.nth(1).get_attribute("id")
    archive_with_enter(page, rows.nth(0))
    expect(rows).to_have_count(3)
    expect(page.locator(f"#{after} a.open")).to_be_focused()


def test_archiving_the_last_row_with_enter_focuses_the_row_before(browse, make_user, today_lane):
    page, watch = browse(make_user(), viewport=test_phone.DESKTOP)
    page.goto(watch.origin + "/?lane=today")
    rows = page.locator("tr.msg-row")
    before = rows.nth(2).get_attribute("id")
    archive_with_enter(page, rows.nth(3))
    expect(rows).to_have_count(3)
    expect(page.locator(f"#{before} a.open")).to_be_focused()


def test_archiving_the_only_row_with_enter_focuses_the_lanes_heading(browse, make_user, make_role, make_message):
    make_message(role=make_role(), lane="fyi", intent="thank_you")
    page, watch = browse(make_user(), viewport=test_phone.DESKTOP)
    page.goto(watch.origin + "/?lane=fyi")
    archive_with_enter(page, page.locator("tr.msg-row").first)
    expect(page.locator("tr.msg-row")).to_have_count(0)
    expect(page.locator("#lane-title")).to_be_focused()


def test_archiving_from_inbox_path_keeps_the_heading_count_and_lane_mark(browse, make_user, make_role, make_message):
    role = make_role()
    for i in range(3):
        make_message(role=role, lane="fyi", intent="thank_you", subject=f"Thank you {i}")
    page, watch = browse(make_user(), viewport=test_phone.DESKTOP)
    page.goto(watch.origin + "/inbox?lane=fyi")
    expect(page.locator("#open-count")).to_have_text("· 3 open")
    page.locator("tr.msg-row").first.locator("button.archive").click()
    expect(page.locator("tr.msg-row")).to_have_count(2)
    expect(page.locator("#open-count")).to_have_text("· 2 open")
    expect(page.locator("#lane-nav a.current")).to_have_attribute("data-lane-key", "4")


def test_enter_on_archive_archives_even_after_j_chose_the_row(browse, make_user, today_lane):
    # The Enter shortcut ("open the chosen row") once took the key from a focused Archive button.
    page, watch = browse(make_user(), viewport=test_phone.DESKTOP)
    page.goto(watch.origin + "/?lane=today")
    rows = page.locator("tr.msg-row")
    page.keyboard.press("j")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bcurrent\b"))
    archive_with_enter(page, rows.nth(0))
    expect(rows).to_have_count(3)
    assert "/messages/" not in page.url


def test_e_archives_a_row_reached_with_tab(browse, make_user, today_lane):
    # Without j/k no row was chosen, so e after Tab did nothing.
    page, watch = browse(make_user(), viewport=test_phone.DESKTOP)
    page.goto(watch.origin + "/?lane=today")
    rows = page.locator("tr.msg-row")
    chosen = rows.nth(1).get_attribute("id")
    rows.nth(1).locator("a.open").focus()
    page.keyboard.press("e")
    expect(rows).to_have_count(3)
    expect(page.locator(f"#{chosen}")).to_have_count(0)
