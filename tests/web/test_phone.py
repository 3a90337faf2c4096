"""The inbox at phone width (390×844) and the row height on a desktop, in real Chromium.

With TRIAGE_SHOTS_DIR set, each page is also kept there as a PNG to look at.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.web import test_browser

# The Chromium fixtures of the browser tests, shared (a module-level name is how pytest finds them).
chromium = test_browser.chromium
browse = test_browser.browse

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

# Every visible element's box, and the document, within the viewport's width.
OVERFLOW = """() => {
  const width = window.innerWidth, bad = [];
  if (document.documentElement.scrollWidth > width) bad.push("document " + document.documentElement.scrollWidth);
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || getComputedStyle(el).visibility === "hidden") continue;
    if (box.right > width + 0.5) {
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + "." + el.className;
      bad.push(name + " right=" + Math.round(box.right));
    }
  }
  return bad.slice(0, 12);
}"""

# The same, leaving out what lies inside a box that scrolls sideways on its own.
OVERFLOW_OUTSIDE_SCROLL_BOXES = OVERFLOW.replace(
    "if (box.right > width + 0.5) {",
    "if (box.right > width + 0.5 && !scrolls(el)) {",
).replace(
    "const width = window.innerWidth, bad = [];",
    """const width = window.innerWidth, bad = [];
  const scrolls = (el) => {
    for (let up = el.parentElement; up; up = up.parentElement) {
      if (["auto", "scroll"].includes(getComputedStyle(up).overflowX)) return true;
    }
    return false;
  };""",
)


def shot(page, name: str) -> None:
    folder = os.environ.get("TRIAGE_SHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


def on_screen(page, locator) -> bool:
    """The element is visible and lies wholly inside the viewport (no scrolling needed)."""
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        locator.is_visible()
        and box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= size["height"]
    )


@pytest.fixture
def busy_inbox(make_role, make_application, make_candidate, make_message):
    """Three roles with long names, candidates with long addresses and reasons, and held chasers."""
    now = datetime.now(UTC)
    roles = [make_role(t) for t in ("Senior Staff Nurse, Intensive Care", "Head Chef", "Data Analyst (Contract)")]
    names = ["Grace Brewster Murray Hopper", "Alan Turing", "Ada Lovelace", "Edsger Dijkstra", "Barbara Liskov"]
    messages = []
    for i, name in enumerate(names):
        candidate = make_candidate(name, email=f"{name.split()[0].lower()}.with.a.very.long.address{i}@example.org")
        app = make_application(roles[i % 3], candidate)
        messages.append(
            make_message(
                application=app,
                subject=("References attached as you asked on Tuesday", "Re: offer details", "Interview times")[i % 3],
                received_at=now - timedelta(hours=3 * i + 1),
                reasons=["the candidate answers our request; mentions a competing offer with a deadline on Friday"],
                body="Hello,\n\nplease find my references attached: https://example.org/" + "x" * 80 + "\n\nBest",
            )
        )
        make_message(application=app, lane="held", intent="status_check", subject="Any update?")
    return messages


def test_phone_inbox_has_no_horizontal_overflow_and_shows_the_first_message(browse, make_user, busy_inbox):
    page, watch = browse(make_user(), viewport=PHONE)
    shot(page, "phone-inbox")
    assert page.evaluate(OVERFLOW) == []
    assert on_screen(page, page.get_by_role("button", name="Log out"))
    assert on_screen(page, page.locator("#count-today")) and on_screen(page, page.locator("#count-held"))
    first = page.locator("tr.msg-row").first
    assert first.bounding_box()["y"] < 844 / 2  # the first conversation is near the top
    assert on_screen(page, first.locator("a.open")) and on_screen(page, first.locator("button.archive"))
    assert watch.console == []


def test_phone_lanes_are_a_menu_that_switches_lane(browse, make_user, busy_inbox):
    page, watch = browse(make_user(), viewport=PHONE)
    page.locator("#lane-nav a.lane-held").click()
    page.wait_for_url("**lane=held")
    shot(page, "phone-held")
    assert page.evaluate(OVERFLOW) == []
    assert on_screen(page, page.locator("#lane-nav a.current"))
    expect(page.locator("#lane-nav a.current")).to_contain_text("Held")


def test_phone_message_page_fits_and_keeps_archive_and_reply_on_screen(browse, make_user, busy_inbox):
    page, watch = browse(make_user(), viewport=PHONE)
    page.goto(f"{watch.origin}/messages/{busy_inbox[0].id}")
    shot(page, "phone-message")
    assert page.evaluate(OVERFLOW) == []
    assert on_screen(page, page.locator("#subject"))
    assert on_screen(page, page.locator("#quick-archive")) and on_screen(page, page.locator("#quick-reply"))
    assert watch.console == []


def test_phone_reply_form_and_preview_fit(browse, make_user, busy_inbox):
    page, watch = browse(make_user(), viewport=PHONE)
    page.goto(f"{watch.origin}/messages/{busy_inbox[0].id}")
    page.locator("#quick-reply").click()
    expect(page.locator("#reply-body")).to_be_focused()
    page.locator("#reply-body").fill("Dear Grace,\n\nThank you, we have everything we need.")
    page.get_by_role("button", name="Preview").click()
    page.locator("#preview").wait_for()
    page.locator("#send-reply").scroll_into_view_if_needed()
    shot(page, "phone-reply")
    assert page.evaluate(OVERFLOW) == []
    assert on_screen(page, page.locator("#send-reply"))


def test_desktop_rows_are_compact(browse, make_user, busy_inbox):
    page, watch = browse(make_user(), viewport=DESKTOP)
    shot(page, "desktop-inbox")
    heights = [page.locator("tr.msg-row").nth(i).bounding_box()["height"] for i in range(3)]
    assert max(heights) <= 64, heights  # about half of the ~120 px rows they were
    assert page.evaluate(OVERFLOW) == []


def test_phone_batch_preview_and_its_confirmation_fit(browse, make_user, make_role, make_application, make_candidate):
    from datetime import date

    role = make_role(title="Senior Staff Nurse, Intensive Care", reference="REQ-1045")
    for i in range(5):  # long names and addresses: the preview must wrap them, not widen the page
        name = f"Maximiliana-Konstantina Wolfeschlegel {i}"
        make_application(
            role, make_candidate(name, email=f"maximiliana.konstantina.{i}.with.a.long.address@example.org")
        )
    page, watch = browse(make_user("recruiter"), viewport=PHONE)
    page.goto(watch.origin + "/batches/")
    page.get_by_label(f"{role.reference} · {role.title}").check()
    page.locator("input[name=next_update_on]").fill((date.today() + timedelta(days=10)).isoformat())
    page.get_by_role("button", name="Preview").click()
    page.locator(".email-preview").first.wait_for()
    assert page.evaluate(OVERFLOW) == []
    page.locator("#send").click()
    page.locator("#confirm-send").wait_for()
    page.locator("#confirm-send").scroll_into_view_if_needed()
    shot(page, "phone-batch-confirm")
    assert page.evaluate(OVERFLOW) == []
    assert on_screen(page, page.locator("#confirm-send"))


@pytest.mark.parametrize("width", [800, 1024, 1280])
def test_an_admins_whole_menu_fits_between_phone_and_wide_desktop(browse, make_user, busy_inbox, width):
    # An admin has ten menu links; at these widths they once squeezed onto two lines each and
    # pushed "Log out" off the right edge (a horizontal scroll on a tablet).
    page, watch = browse(make_user("admin"), viewport={"width": width, "height": 800})
    shot(page, f"admin-menu-{width}")
    links = page.locator("header.top nav a")
    heights = [links.nth(i).bounding_box()["height"] for i in range(links.count())]
    line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('header.top nav a')).lineHeight) || 24")
    assert (page.evaluate(OVERFLOW), len(heights) >= 8, max(heights) <= line * 1.5) == ([], True, True), heights
    assert on_screen(page, page.get_by_role("button", name="Log out"))


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_reply_with_a_long_link_wraps_in_the_preview_and_in_our_replies(browse, make_user, busy_inbox, viewport):
    # A video-call link is often 300+ characters without a space; it once made the page 2,974 px wide.
    link = "https://teams.example.com/l/meetup-join/" + "19%3ameeting_" + "N2Q4ZjE" * 45
    page, watch = browse(make_user(), viewport=viewport)
    page.goto(f"{watch.origin}/messages/{busy_inbox[0].id}")
    if page.locator("#quick-reply").is_visible():  # the phone's bottom bar; a desktop shows the form
        page.locator("#quick-reply").click()
    page.locator("#reply-body").fill(f"Dear Grace,\n\nHere is the link for Tuesday: {link}\n\nBest")
    page.get_by_role("button", name="Preview").click()
    page.locator("#preview").wait_for()
    assert page.evaluate(OVERFLOW) == []
    page.locator("#send-reply").click()
    page.locator(".outbound").first.wait_for()
    page.locator(".outbound details summary").first.click()
    shot(page, f"long-link-{viewport['width']}")
    assert page.evaluate(OVERFLOW) == []


@pytest.mark.parametrize(
    "path",
    [
        "/batches/",
        "/batches/templates",
        "/hiring/overview",
        "/admin/audit",
        "/admin/users",
        "/admin/teams",
        "/admin/privacy/",
        "/admin/privacy/retention",
        "/admin/model",
        "/account/forwarding",
        "/roles",
    ],
)
def test_every_admin_page_fits_a_phone(browse, make_user, busy_inbox, path):
    # The inbox was fitted to a phone first; these pages once scrolled sideways (up to 1,327 px).
    # A wide table may scroll inside its own box: what lies in such a box is not the page's overflow.
    page, watch = browse(make_user("admin"), viewport=PHONE)
    response = page.goto(watch.origin + path)
    shot(page, "phone" + path.rstrip("/").replace("/", "-"))
    assert (response.status, page.evaluate(OVERFLOW_OUTSIDE_SCROLL_BOXES)) == (200, [])
