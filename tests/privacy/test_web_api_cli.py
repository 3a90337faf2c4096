"""The erase and export actions: the admin pages (with their confirmation), the API and the CLI."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from tests.conftest import csrf_from
from tests.privacy.conftest import ERASED, PHRASE
from triage.db import AuditEvent, Candidate, Message
from triage.privacy.cli import candidates_command


def _held(db_session, candidate_id: int) -> tuple[str, int]:
    db_session.expire_all()
    email = db_session.get(Candidate, candidate_id).email
    return email, len(db_session.scalars(select(Message.id).where(Message.body_text.contains(PHRASE))).all())


@pytest.fixture
def admin(make_user, login):
    user = make_user("admin")
    login(user)
    return user


def test_the_admin_page_finds_a_candidate(client, admin, small):
    page = client.get("/admin/privacy/", query_string={"email": ERASED.upper()}).get_data(as_text=True)
    assert "Export their data" in page and "2 emails from them" in page


def test_a_recruiter_cannot_open_the_page(client, make_user, login, small):
    login(make_user("recruiter"))
    assert client.get("/admin/privacy/", query_string={"email": ERASED}).status_code == 403


def test_erasing_without_typing_the_address_erases_nothing(client, db_session, admin, small):
    form = client.get(f"/admin/privacy/candidates/{small}/erase").get_data(as_text=True)
    response = client.post(
        f"/admin/privacy/candidates/{small}/erase", data={"confirm": "someone@else.org", "csrf_token": csrf_from(form)}
    )
    assert response.status_code == 400 and _held(db_session, small) == (ERASED, 1)


def test_erasing_with_the_confirmation_erases_and_is_audited(client, db_session, admin, small):
    form = client.get(f"/admin/privacy/candidates/{small}/erase").get_data(as_text=True)
    response = client.post(
        f"/admin/privacy/candidates/{small}/erase", data={"confirm": ERASED, "csrf_token": csrf_from(form)}
    )
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate.erase_person"))
    assert response.status_code == 302 and _held(db_session, small)[1] == 0 and event.user_id == admin.id


def test_the_export_button_downloads_a_zip_and_is_audited(client, db_session, admin, small):
    response = client.get(f"/admin/privacy/candidates/{small}/export")
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert response.mimetype == "application/zip" and "README.txt" in names and "mail/002.eml" in names
    assert db_session.scalar(select(AuditEvent.user_id).where(AuditEvent.action == "candidate.export")) == admin.id


def test_the_retention_page_shows_the_settings_and_what_is_due(client, admin, small):
    page = client.get("/admin/privacy/retention").get_data(as_text=True)
    assert "6 months" in page and "24 months" in page and "Nothing is due" in page


@pytest.fixture
def bearer(make_user, token_for):
    def make(role: str) -> dict:
        return {"Authorization": f"Bearer {token_for(make_user(role))}"}

    return make


def test_api_erase_needs_an_admin_token(client, db_session, bearer, small):
    response = client.post("/api/v1/candidates/erase", json={"email": ERASED}, headers=bearer("recruiter"))
    assert response.status_code == 403 and _held(db_session, small) == (ERASED, 1)


def test_api_erase_answers_the_counts(client, db_session, bearer, small):
    response = client.post("/api/v1/candidates/erase", json={"email": ERASED}, headers=bearer("admin"))
    assert response.json["erased"]["messages"] == 2 and _held(db_session, small)[1] == 0


def test_api_erase_of_an_unknown_address_is_a_404(client, bearer, small):
    response = client.post("/api/v1/candidates/erase", json={"email": "no@one.org"}, headers=bearer("admin"))
    assert response.status_code == 404 and response.json["error"]


def test_api_erase_without_an_email_is_a_400(client, bearer, small):
    assert client.post("/api/v1/candidates/erase", json={}, headers=bearer("admin")).status_code == 400


def test_api_export_answers_a_zip(client, bearer, small):
    response = client.post("/api/v1/candidates/export", json={"email": ERASED}, headers=bearer("admin"))
    assert "data.json" in zipfile.ZipFile(io.BytesIO(response.data)).namelist()


def test_the_paths_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/candidates/erase", "/candidates/export"} <= set(paths)


def test_cli_erase_asks_and_a_no_keeps_everything(runner, db_session, small):
    result = runner.invoke(candidates_command, args=["erase", ERASED], input="n\n")
    assert result.exit_code == 1 and _held(db_session, small) == (ERASED, 1)


def test_cli_erase_with_yes_erases(runner, db_session, small):
    result = runner.invoke(candidates_command, args=["erase", ERASED, "--yes"])
    assert result.exit_code == 0 and "messages 2" in result.output and _held(db_session, small)[1] == 0


def test_cli_erase_of_an_unknown_address_says_so(runner, small):
    result = runner.invoke(candidates_command, args=["erase", "no@one.org", "--yes"])
    assert result.exit_code == 1 and "no candidate" in result.output


def test_cli_export_writes_the_zip(runner, tmp_path, small):
    out = tmp_path / "out.zip"
    result = runner.invoke(candidates_command, args=["export", ERASED, "--out", str(out)])
    assert result.exit_code == 0 and "README.txt" in zipfile.ZipFile(out).namelist()
