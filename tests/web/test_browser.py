"""Real Chromium against a live server: the everyday flows, and hostile mail that must stay inert.

Run on their own with `pytest -m browser`. Without Chromium they skip, loudly.
"""

from __future__ import annotations

import os
import re
import warnings
from datetime import UTC
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("TRIAGE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        reason = f"BROWSER TESTS SKIPPED: no Chromium at {CHROMIUM} (apt-get install chromium, or set TRIAGE_CHROMIUM)"
        warnings.warn(reason, pytest.PytestWarning, stacklevel=2)  # visible in the summary, not only as an 's'
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


class Watch:
    """What a page did that it should not: console output, dialogs, requests elsewhere."""

    def __init__(self, page, origin: str) -> None:
        self.origin, self.console, self.dialogs, self.requests = origin, [], [], []
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: self.requests.append((r.url, r.frame, r.is_navigation_request())))

    def foreign(self) -> list[str]:
        return [url for url, _, _ in self.requests if not url.startswith(self.origin + "/")]

    def from_frame(self, frame) -> list[str]:
        """Requests made by a frame's document (its own navigation excluded)."""
        return [url for url, f, nav in self.requests if f == frame and not nav]


@pytest.fixture
def browse(chromium, live_server):
    contexts = []

    def open_as(user, password: str = PASSWORD, **options):
        """Log `user` in; `options` go to the browser context (timezone_id="Pacific/Auckland"...)."""
        options.setdefault("viewport", {"width": 1400, "height": 900})
        context = chromium.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        watch = Watch(page, live_server)
        page.goto(live_server + "/login")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(live_server + "/")
        return page, watch

    yield open_as
    for context in contexts:
        context.close()


def _shot(page, name: str) -> None:
    """Keep a screenshot in docs/ when TRIAGE_SCREENSHOTS=1 (the README shows them)."""
    if os.environ.get("TRIAGE_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / f"{name}.png"), full_page=False)


def test_log_in_and_clear_a_lane_with_the_keyboard(browse, live_server, make_user, make_role, make_message):
    role = make_role("Staff Nurse")
    for i in range(3):
        make_message(role=role, lane="fyi", intent="thank_you", subject=f"Thank you {i}")
    page, watch = browse(make_user())
    page.keyboard.press("4")  # FYI
    page.wait_for_url("**lane=fyi")
    assert page.locator("#count-fyi").inner_text() == "3"
    for remaining in (2, 1, 0):
        page.keyboard.press("j")
        page.keyboard.press("e")
        expect(page.locator("tr.msg-row")).to_have_count(remaining)
    assert page.locator("#count-fyi").inner_text() == "0"
    expect(page.locator("#lane-nav a.current")).to_have_attribute("data-lane-key", "4")  # still marked after htmx
    page.reload()
    assert page.get_by_text("The lane is clear").is_visible() and watch.console == []


def test_reply_from_a_template_with_preview(
    browse, db_session, make_user, make_role, make_application, make_candidate, make_message
):
    from triage.db import Template

    role = make_role("Staff Nurse")
    message = make_message(
        application=make_application(role, make_candidate("Grace Hopper")),
        subject="References",
        body="Here are my references.",
    )
    db_session.add(
        Template(
            name="Thanks for the references",
            kind="reply",
            subject="x",
            body_text="Dear {{ first_name }},\n\nThank you. We will be in touch about {{ role_title }}.",
        )
    )
    db_session.commit()
    page, watch = browse(make_user())
    page.goto(f"{watch.origin}/messages/{message.id}")
    page.get_by_label("Start from a template").select_option(label="reply · Thanks for the references")
    expect(page.locator("#reply-body")).to_have_value(re.compile(r"^Dear Grace,"))
    page.get_by_role("button", name="Preview").click()
    page.locator("#preview").wait_for()
    _shot(page, "reply-preview")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(f"**/messages/{message.id}?sent=*")
    status = page.locator("#replies .status-badge").first.inner_text()
    assert status.lower() in ("queued", "sending", "sent") and watch.console == [] and watch.foreign() == []


def test_bulk_archive(browse, make_user, make_role, make_message):
    role = make_role()
    for i in range(4):
        make_message(role=role, lane="held", intent="status_check", subject=f"Any update? {i}")
    page, watch = browse(make_user())
    page.goto(watch.origin + "/?lane=held")
    page.get_by_label("Select all on this page").check()
    page.get_by_label("Bulk action", exact=True).select_option("archive")
    page.get_by_role("button", name="Apply to selected").click()
    page.get_by_text("Archived 4 messages").wait_for()
    assert page.locator("tr.msg-row").count() == 0 and page.locator("#count-held").inner_text() == "0"


def test_line_manager_sees_only_their_roles(browse, make_user, make_role, make_message):
    mine, theirs = make_role("Staff Nurse"), make_role("Head Chef")
    make_message(role=mine, subject="Mine to answer")
    other = make_message(role=theirs, subject="Not for you")
    page, watch = browse(make_user("line_manager", roles=[mine]))
    text = page.locator("main").inner_text()
    assert "Mine to answer" in text and "Not for you" not in text and theirs.reference not in text
    response = page.goto(f"{watch.origin}/messages/{other.id}")
    assert response.status == 404


def test_the_batch_form_sends_the_browsers_time_zone(browse, make_user, make_role):
    make_role("Staff Nurse")
    page, watch = browse(make_user(), timezone_id="Pacific/Auckland")
    page.goto(watch.origin + "/batches/")
    expect(page.locator("#tz")).to_have_value("Pacific/Auckland")
    assert watch.console == []  # a script the page policy blocked would say so here


HOSTILE = {
    "script": "<p>hi</p><script>window.parent.__pwned = 'script'; console.log('pwned')</script>",
    "handlers": '<img src="x" onerror="parent.__pwned=\'onerror\'"><body onload="parent.__pwned=1">'
    '<div onmouseover="parent.__pwned=1">hover</div><input autofocus onfocus="parent.__pwned=1">',
    "javascript-url": '<a id="j" href="javascript:parent.__pwned=1">click</a>'
    '<iframe src="javascript:parent.__pwned=1"></iframe>',
    "svg": '<svg onload="parent.__pwned=1"><script>parent.__pwned=1</script>'
    '<image href="http://evil.invalid/svg.png"/></svg>',
    "css-import": "<style>@import url('http://evil.invalid/x.css'); body{background:url(http://evil.invalid/bg.png)}</style>"
    '<div style="background-image:url(http://evil.invalid/div.png)">styled</div>'
    '<link rel="stylesheet" href="http://evil.invalid/link.css">',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=http://evil.invalid/">'
    '<base href="http://evil.invalid/"><a href="relative">rel</a>',
    "remote-images": '<img src="http://evil.invalid/track.gif" width="1" height="1">'
    '<video poster="http://evil.invalid/poster.png"></video><img srcset="http://evil.invalid/s.png 1x">',
    "mutation": '<math><mtext><table><mglyph><style><img src=x onerror="parent.__pwned=1"></style></mglyph>'
    '</table></mtext></math><noscript><p title="</noscript><img src=x onerror=parent.__pwned=1>">',
    "object": '<object data="http://evil.invalid/o.swf"></object><embed src="http://evil.invalid/e.swf">'
    '<form action="http://evil.invalid/"><button>go</button></form>',
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_html_runs_nothing_and_loads_nothing(name, browse, make_user, make_role, make_message):
    html = HOSTILE[name]
    message = make_message(
        role=make_role(),
        html=html,
        subject=f"<script>parent.__pwned=1</script> {name}",
        body=f"text part <script>window.__pwned=1</script> {name}",
    )
    page, watch = browse(make_user())
    page.goto(f"{watch.origin}/messages/{message.id}")
    frame = page.frame_locator("iframe").locator("body")
    frame.wait_for(state="attached")
    page.wait_for_load_state("networkidle")
    if name == "handlers":
        frame.locator("div").first.hover()
    if name == "javascript-url":
        frame.get_by_text("click").click()
    page.wait_for_timeout(300)  # let any stray timer or refresh fire before looking
    iframe = page.frames[1]
    assert page.evaluate("window.__pwned") is None
    assert (watch.console, watch.dialogs, watch.foreign()) == ([], [], [])
    assert watch.from_frame(iframe) == [], "the iframe document made requests"


def test_remote_images_load_after_the_click(browse, make_user, make_role, make_message):
    """The control for the test above: the request watcher does see a remote image once allowed."""
    message = make_message(role=make_role(), html='<p>logo</p><img src="http://evil.invalid/logo.png">')
    page, watch = browse(make_user())
    page.goto(f"{watch.origin}/messages/{message.id}")
    page.wait_for_load_state("networkidle")
    assert watch.foreign() == []
    page.get_by_role("link", name="Show remote images").click()
    page.wait_for_load_state("networkidle")
    assert "http://evil.invalid/logo.png" in watch.foreign()


def test_screenshots_of_the_main_screens(
    browse, db_session, make_user, make_role, make_application, make_candidate, make_message
):
    """Renders the inbox, a message and the roles page; kept in docs/ with TRIAGE_SCREENSHOTS=1."""
    from datetime import datetime, timedelta

    now = datetime.now(UTC)
    roles = [make_role(t) for t in ("Staff Nurse", "Head Chef", "Data Analyst")]
    names = ["Grace Hopper", "Alan Turing", "Ada Lovelace", "Edsger Dijkstra", "Barbara Liskov", "Ken Thompson"]
    sample = None
    for i, name in enumerate(names):
        app = make_application(roles[i % 3], make_candidate(name), stage=("interviewed", "offer", "screening")[i % 3])
        sample = make_message(
            application=app,
            subject=("References attached", "Re: offer details", "Interview times")[i % 3],
            received_at=now - timedelta(hours=4 * i + 1),
            intent=("info_response", "offer_negotiation", "scheduling")[i % 3],
            reasons=[
                (
                    "the candidate answers our request",
                    "offer talk: answer the same day",
                    "scheduling: answer within 24 h",
                )[i % 3]
            ],
            html="<p>Hello,</p><p>please find my <b>references</b> attached.</p>"
            '<img src="https://tracker.example/open.gif">',
        )
        make_message(
            application=app,
            lane="held",
            intent="status_check",
            subject="Any update?",
            reasons=["2nd follow-up in 9 days; last update sent 2 days ago"],
        )
    page, watch = browse(make_user())
    page.locator("tr.msg-row").first.wait_for()
    _shot(page, "inbox")
    page.goto(f"{watch.origin}/messages/{sample.id}")
    page.frame_locator("iframe").locator("body").wait_for()
    _shot(page, "message")
    page.goto(f"{watch.origin}/roles")
    _shot(page, "roles")
    page.goto(watch.origin + "/")
    page.keyboard.press("?")
    assert page.locator("dialog#help").is_visible()
    _shot(page, "shortcuts")
    phone, _ = browse(make_user(), viewport={"width": 390, "height": 844})
    phone.locator("tr.msg-row").first.wait_for()
    _shot(phone, "phone-inbox")
    phone.goto(f"{watch.origin}/messages/{sample.id}")
    _shot(phone, "phone-message")
    assert watch.console == [] and watch.foreign() == []
