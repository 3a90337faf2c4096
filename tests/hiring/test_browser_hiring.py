"""Real Chromium from an empty database: an admin sets up a team, people and roles, imports two ATS exports
(one with three bad rows, refused whole), and the line manager sees only her role.

Run on their own with `pytest -m browser`. Without Chromium they skip, loudly.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("TRIAGE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        reason = f"BROWSER TESTS SKIPPED: no Chromium at {CHROMIUM} (apt-get install chromium, or set TRIAGE_CHROMIUM)"
        warnings.warn(reason, pytest.PytestWarning, stacklevel=2)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


def _log_in(chromium, live_server, email: str, password: str):
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server + "/")
    return context, page, errors


def _invite(page, live_server, email: str, name: str, kind: str, team: str) -> str:
    page.goto(live_server + "/admin/users")
    form = page.locator("form.invite-form")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Name").fill(name)
    form.get_by_label("Kind").select_option(kind)
    form.get_by_label("Team").select_option(label=team)
    form.get_by_role("button", name="Invite").click()
    return page.locator("#one-time-password").inner_text()


def _create_role(page, live_server, reference: str, title: str, owner: str, manager: str | None) -> None:
    page.goto(live_server + "/hiring/roles/new")
    page.get_by_label("Requisition reference").fill(reference)
    page.get_by_label("Title").fill(title)
    page.get_by_label("Team").fill("Analytics")
    page.get_by_label("Recruiter").select_option(label=owner)
    if manager:
        page.get_by_label(manager).check()
    page.get_by_role("button", name="Create role").click()
    expect(page.locator("h1")).to_contain_text(reference)


def _preview(page, live_server, reference: str, path: Path) -> None:
    page.goto(live_server + "/hiring/roles")
    page.get_by_role("link", name=reference).click()
    page.get_by_role("link", name="Import applicants (CSV)").click()
    page.get_by_label("CSV export").set_input_files(str(path))
    page.get_by_role("button", name="Preview").click()


def test_an_admin_sets_up_the_team_and_a_line_manager_sees_only_her_role(chromium, live_server, make_user):
    admin = make_user("admin", email="admin@example.com")
    context, page, errors = _log_in(chromium, live_server, admin.email, PASSWORD)
    page.goto(live_server + "/admin/teams")
    page.get_by_label("New team").fill("Analytics")
    page.get_by_role("button", name="Create team").click()
    expect(page.locator("h1")).to_have_text("Policy of Analytics")

    _invite(page, live_server, "rita@example.com", "Rita Recruiter", "recruiter", "Analytics")
    lm_password = _invite(page, live_server, "lena@example.com", "Lena Manager", "line_manager", "Analytics")
    _create_role(
        page,
        live_server,
        "REQ-1042",
        "Data Analyst",
        "Rita Recruiter (rita@example.com)",
        "Lena Manager (lena@example.com)",
    )
    _create_role(page, live_server, "REQ-2001", "Backend Engineer", "Rita Recruiter (rita@example.com)", None)

    _preview(page, live_server, "REQ-1042", DATA / "greenhouse.csv")
    expect(page.locator("#preview-title")).to_contain_text("Greenhouse export")
    expect(page.locator("#import-summary")).to_have_text("7 applicants: 7 new, 0 updated, 0 unchanged.")
    page.get_by_role("button", name="Import 7 applicants").click()
    expect(page.locator(".flash")).to_contain_text("Imported into REQ-1042: 7 new")
    expect(page.locator("#applicants tbody tr")).to_have_count(7)

    _preview(page, live_server, "REQ-2001", DATA / "lever_bad.csv")
    expect(page.locator("#preview-title")).to_contain_text("Lever export")
    expect(page.locator("#import-errors li")).to_have_text(
        [
            "line 3: bad email 'linus.torvalds(at)example.com'",
            "line 4: unknown stage 'Culture vibe check'",
            "line 5: applied date 'sometime in October' is not a date",
        ]
    )
    expect(page.get_by_role("button", name="Import 2 applicants")).to_have_count(0)
    page.goto(live_server + "/hiring/roles")
    expect(page.locator("#manage-roles tbody tr")).to_have_count(2)
    expect(page.locator("#manage-roles tbody tr").nth(1)).to_contain_text("REQ-2001")
    expect(page.locator("#manage-roles tbody tr").nth(1).locator("td.num")).to_have_text("0")
    context.close()

    context, page, lm_errors = _log_in(chromium, live_server, "lena@example.com", lm_password)
    page.goto(live_server + "/hiring/roles")
    expect(page.locator("#manage-roles tbody tr")).to_have_count(1)
    expect(page.locator("#manage-roles")).to_contain_text("REQ-1042")
    page.goto(live_server + "/hiring/overview")
    expect(page.locator("#overview")).to_contain_text("REQ-1042")
    expect(page.locator("#overview")).not_to_contain_text("REQ-2001")
    context.close()
    assert errors == [] and lm_errors == []
