"""Real Chromium: an admin exports a candidate's data, then erases it through the confirmation, and
finds the erasure in the audit trail. Run with `pytest -m browser`; without Chromium they skip, loudly."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.privacy.conftest import ERASED, ERASED_NAME, PHRASE
from tests.web import test_browser as shared

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser
chromium, browse = shared.chromium, shared.browse  # the shared Chromium fixtures


def test_an_admin_exports_then_erases_a_candidate_and_the_audit_shows_it(
    browse, live_server, make_user, small, tmp_path
):
    admin = make_user("admin")
    page, watch = browse(admin)
    page.goto(live_server + "/admin/privacy/")
    page.get_by_label("Candidate's email address").fill(ERASED)
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", name=ERASED_NAME)).to_be_visible()
    expect(page.get_by_text("2 emails from them")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="Export their data (zip)").click()
    saved = tmp_path / "export.zip"
    download.value.save_as(saved)
    files = zipfile.ZipFile(io.BytesIO(saved.read_bytes()))
    assert "README.txt" in files.namelist() and any(PHRASE.encode() in files.read(n) for n in files.namelist())

    page.get_by_role("link", name="Erase…").click()
    expect(page.get_by_role("heading", name=f"Erase {ERASED_NAME}?")).to_be_visible()
    page.get_by_role("button", name="Erase for good").click()  # nothing typed: the form does not go
    expect(page.get_by_role("heading", name=f"Erase {ERASED_NAME}?")).to_be_visible()
    page.get_by_label("to confirm").fill(ERASED)
    page.get_by_role("button", name="Erase for good").click()

    expect(page.get_by_role("status")).to_contain_text("erased: ")
    row = page.get_by_role("row").filter(has_text="candidate.erase_person")
    expect(row).to_contain_text(admin.name)
    expect(row).not_to_contain_text(ERASED)
    page.goto(live_server + "/admin/privacy/?email=" + ERASED)
    expect(page.get_by_text("No candidate has that address.")).to_be_visible()
    assert watch.console == [] and watch.foreign() == []
