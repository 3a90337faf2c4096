"""The roles page and the admin pages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import PASSWORD, csrf_from
from triage.accounts import users


def test_roles_page_shows_pipeline_chasers_and_next_update(
    client, login, make_user, make_role, make_application, make_message
):
    role = make_role("Staff Nurse", next_update_on=date(2030, 12, 12))
    for stage in ("interviewed", "interviewed", "offer"):
        make_application(role, stage=stage)
    now = datetime.now(UTC)
    make_message(role=role, lane="held", is_chaser=True, received_at=now - timedelta(days=1))
    make_message(role=role, lane="held", is_chaser=True, received_at=now - timedelta(days=20))
    login(make_user())
    page = client.get("/roles").get_data(as_text=True)
    row = page.split(f">{role.reference}</a>", 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r'<td class="num">(?:<a[^>]*>)?(\d+)', row)
    # applied screening interviewing interviewed offer hired rejected withdrawn | 5 lanes | chasers
    assert cells == ["0", "0", "0", "2", "1", "0", "0", "0", "0", "0", "2", "0", "0", "1"] and "12 Dec 2030" in row


def test_roles_page_lists_only_a_line_managers_roles(client, login, make_user, make_role):
    mine, theirs = make_role("Nurse"), make_role("Chef")
    login(make_user("line_manager", roles=[mine]))
    page = client.get("/roles").get_data(as_text=True)
    assert mine.reference in page and theirs.reference not in page


def test_role_page_keeps_its_old_address(client, login, make_user, make_role, make_application):
    role = make_role("Nurse")
    make_application(role, stage="screening")
    login(make_user())
    page = client.get(f"/roles/{role.id}").get_data(as_text=True)
    assert "Nurse" in page and re.search(r"screening</span> <span class=\"count\">1<", page)


def test_audit_page_is_for_admins_only(client, login, make_user):
    login(make_user("recruiter"))
    assert client.get("/admin/audit").status_code == 403


def test_audit_page_shows_who_did_what(client, login, make_user, make_role, make_message, csrf):
    message = make_message(role=make_role())
    admin = make_user("admin")
    login(admin)
    client.post(f"/messages/{message.id}/archive", data={"csrf_token": csrf()})
    page = client.get("/admin/audit?action=message.").get_data(as_text=True)
    assert "<code>message.archive</code>" in page and admin.name in page and f"message {message.id}" in page


def test_audit_page_filtered_by_a_user_keeps_that_user_selected(client, login, make_user):
    admin = make_user("admin")
    login(admin)
    page = client.get(f"/admin/audit?user={admin.id}").get_data(as_text=True)
    assert f'<option value="{admin.id}" selected>' in page


@pytest.mark.parametrize("query", ["page=abc", "page=0", "user=²", "target=message:x"])
def test_audit_page_refuses_a_bad_filter_with_a_400(client, login, make_user, query):
    login(make_user("admin"))
    assert client.get(f"/admin/audit?{query}").status_code == 400


def test_users_page_lists_users(client, login, make_user):
    make_user("line_manager", email="lm@example.com")
    login(make_user("admin"))
    assert "lm@example.com" in client.get("/admin/users").get_data(as_text=True)


# --- people: assign roles, deactivate (invitations: tests/accounts/test_invitations.py) -------------------------
def test_deactivating_ends_sessions_and_api_tokens_at_once(app, client, login, make_user, csrf, db_session):
    victim = make_user("recruiter")
    token = users.create_token(db_session, victim, "script")
    db_session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    other = app.test_client()
    other.post(
        "/login",
        data={
            "email": victim.email,
            "password": PASSWORD,
            "csrf_token": csrf_from(other.get("/login").get_data(as_text=True)),
        },
    )
    assert (
        other.get("/hiring/roles").status_code == 200
        and client.get("/api/v1/roles", headers=headers).status_code == 200
    )
    login(make_user("admin"))
    client.post(f"/admin/users/{victim.id}", data={"action": "deactivate", "csrf_token": csrf("/admin/users")})
    assert other.get("/hiring/roles").status_code == 302
    assert client.get("/api/v1/roles", headers=headers).status_code == 401


def test_an_admin_gives_a_line_manager_her_roles(client, login, make_user, make_role, csrf, db_session):
    nurse, chef = make_role("Nurse"), make_role("Chef")
    manager = make_user("line_manager")
    login(make_user("admin"))
    client.post(
        f"/admin/users/{manager.id}",
        data={"action": "save", "role_ids": [str(nurse.id)], "csrf_token": csrf("/admin/users")},
    )
    db_session.refresh(manager)
    assert [r.id for r in manager.roles] == [nurse.id] and chef not in manager.roles
