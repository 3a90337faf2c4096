"""The roles page and the admin pages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest


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
    assert cells == ["0", "0", "0", "2", "1", "0", "0", "0", "0", "0", "2", "0", "0", "1"] and "2030-12-12" in row


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
