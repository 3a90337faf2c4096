"""The hiring pages: roles made and changed in the browser's forms, the import preview, the application page."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

from sqlalchemy import func, select

from triage.db import Application, AuditEvent, JobRole


def _create(client, csrf, **fields):
    data = {
        "reference": "REQ-1042",
        "title": "Data Analyst",
        "team": "Analytics",
        "csrf_token": csrf("/hiring/roles/new"),
    }
    return client.post("/hiring/roles/new", data={**data, **fields})


def test_a_recruiter_creates_a_role_in_the_form(client, login, make_user, csrf, db_session):
    manager = make_user("line_manager")
    login(make_user())
    reply = _create(client, csrf, line_managers=[str(manager.id)])
    role = db_session.scalar(select(JobRole).where(JobRole.reference == "REQ-1042"))
    assert reply.status_code == 302 and [u.id for u in role.members] == [manager.id] and role.team.name == "Analytics"


def test_the_form_names_each_bad_field(client, login, make_user, csrf, make_role):
    make_role(reference="REQ-1042")
    login(make_user())
    page = _create(client, csrf, title="").get_data(as_text=True)
    assert "reference: REQ-1042 is already a role" in page and "title: required" in page


def test_a_line_manager_may_not_create_roles(client, login, make_user):
    login(make_user("line_manager"))
    assert client.get("/hiring/roles/new").status_code == 403


def test_a_line_manager_sees_only_her_roles(client, login, make_user, make_role):
    mine, theirs = make_role("Nurse"), make_role("Chef")
    login(make_user("line_manager", roles=[mine]))
    page = client.get("/hiring/roles").get_data(as_text=True)
    assert mine.reference in page and theirs.reference not in page
    assert client.get(f"/hiring/roles/{theirs.id}").status_code == 404


def test_closing_and_reopening_is_audited(client, login, make_user, make_role, csrf, db_session):
    role = make_role()
    login(make_user())
    token = csrf(f"/hiring/roles/{role.id}")
    client.post(f"/hiring/roles/{role.id}/close", data={"csrf_token": token})
    client.post(f"/hiring/roles/{role.id}/reopen", data={"csrf_token": token})
    actions = list(db_session.scalars(select(AuditEvent.action).where(AuditEvent.target_type == "job_role")))
    assert actions == ["role.close", "role.reopen"]


def _preview(client, csrf, role, data: bytes, name: str = "export.csv"):
    token = csrf(f"/hiring/roles/{role.id}/import")
    return client.post(
        f"/hiring/roles/{role.id}/import/preview",
        data={"file": (io.BytesIO(data), name), "csrf_token": token, "timezone": "UTC"},
        content_type="multipart/form-data",
    )


def test_the_preview_shows_what_each_row_becomes_and_the_import_writes_them(
    client, login, make_user, make_role, csrf, sample, db_session
):
    role = make_role()
    login(make_user())
    page = _preview(client, csrf, role, sample("greenhouse")).get_data(as_text=True)
    assert "Greenhouse export" in page and "Preliminary Phone Screen</td><td>screening" in page
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    reply = client.post(
        f"/hiring/roles/{role.id}/import", data={"token": token, "timezone": "UTC", "csrf_token": csrf("/")}
    )
    count = db_session.scalar(select(func.count()).select_from(Application).where(Application.role_id == role.id))
    assert reply.status_code == 302 and count == 7


def test_a_preview_with_bad_rows_lists_them_and_offers_no_import(client, login, make_user, make_role, csrf):
    role = make_role()
    login(make_user())
    data = b"Name,Email,Stage\nA,a@example.com,Applied\nB,nope,Applied\n"
    reply = _preview(client, csrf, role, data)
    page = reply.get_data(as_text=True)
    assert (
        reply.status_code == 400 and "line 3, column &#39;Email&#39;: bad email" in page and 'name="token"' not in page
    )


def test_a_formula_cell_is_shown_escaped(client, login, make_user, make_role, csrf):
    role = make_role()
    login(make_user())
    data = b'Name,Email,Stage\n"=HYPERLINK(""http://evil.example"",""<b>x</b>"")",f@example.com,Applied\n'
    page = _preview(client, csrf, role, data).get_data(as_text=True)
    assert "=HYPERLINK(&#34;http://evil.example&#34;,&#34;&lt;b&gt;x&lt;/b&gt;&#34;)" in page and "<b>x</b>" not in page


def test_an_unreadable_upload_gets_its_reason(client, login, make_user, make_role, csrf):
    role = make_role()
    login(make_user())
    page = _preview(client, csrf, role, bytes(range(256)) * 10).get_data(as_text=True)
    assert "not a CSV text file" in page and "Nothing was imported" in page


def test_an_oversized_upload_is_refused_with_a_clear_message(client, login, make_user, make_role, csrf):
    role = make_role()
    login(make_user())
    token = csrf(f"/hiring/roles/{role.id}/import")
    # A raw body (not the test client's multipart encoder, which spools big files to a temporary file).
    reply = client.post(
        f"/hiring/roles/{role.id}/import/preview",
        data=b"a" * (21 * 1024 * 1024),
        content_type="multipart/form-data; boundary=x",
        headers={"X-CSRFToken": token},
    )
    assert reply.status_code == 413 and "larger than 20 MB" in reply.get_data(as_text=True)


def test_the_api_imports_applications_in_bulk(client, make_user, make_role, token_for):
    role = make_role(reference="REQ-5")
    items = [
        {"email": "a@example.com", "name": "A", "stage": "interviewing", "applied_at": "2026-11-01"},
        {"email": "b@example.com", "name": "B", "stage": "Phone screen"},
    ]
    reply = client.post(
        "/api/v1/applications", json={"role": "REQ-5", "applications": items}, headers=token_for(make_user())
    )
    assert reply.json == {"role_id": role.id, "new": 2, "update": 0, "unchanged": 0}


def test_the_api_reports_every_bad_item_and_imports_nothing(client, make_user, make_role, token_for, db_session):
    make_role(reference="REQ-6")
    items = [
        {"email": "a@example.com", "stage": "applied"},
        {"email": "bad", "stage": "applied"},
        {"email": "c@example.com", "stage": "napping"},
    ]
    reply = client.post(
        "/api/v1/applications", json={"role": "REQ-6", "applications": items}, headers=token_for(make_user())
    )
    assert reply.status_code == 400 and [e["item"] for e in reply.json["errors"]] == [2, 3]
    assert db_session.scalar(select(func.count()).select_from(Application)) == 0


def test_the_application_page_shows_the_timeline_and_takes_a_backdated_stage(
    client, login, make_user, make_role, make_application, csrf
):
    app = make_application(make_role(), applied_at=datetime(2026, 11, 1, tzinfo=UTC))
    login(make_user())
    token = csrf(f"/hiring/applications/{app.id}")
    client.post(
        f"/hiring/applications/{app.id}/stage",
        data={"stage": "interviewed", "on": "2026-12-01", "time": "15:00", "csrf_token": token},
    )
    page = client.get(f"/hiring/applications/{app.id}").get_data(as_text=True)
    assert "stage: interviewed (interview 2026-12-01 15:00 UTC)" in page
