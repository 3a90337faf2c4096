"""Roles are made and changed through the API and the CLI, validated and audited; line managers see only theirs."""

from __future__ import annotations

from sqlalchemy import select

from triage.db import AuditEvent, JobRole
from triage.hiring.cli import roles_command


def test_api_creates_a_role_with_team_owner_and_line_managers(client, make_user, token_for):
    owner, manager = make_user("recruiter"), make_user("line_manager")
    body = {
        "reference": "REQ-1042",
        "title": "Data Analyst",
        "team": "Analytics",
        "owner": owner.email,
        "line_managers": [manager.id],
    }
    reply = client.post("/api/v1/roles", json=body, headers=token_for(make_user("admin")))
    assert (
        reply.status_code == 201
        and reply.json["team"] == "Analytics"
        and reply.json["owner"]["id"] == owner.id
        and [m["id"] for m in reply.json["line_managers"]] == [manager.id]
    )


def test_api_refuses_a_reference_that_cannot_go_in_an_address(client, make_user, token_for):
    reply = client.post("/api/v1/roles", json={"reference": "REQ 1042@x", "title": "X"}, headers=token_for(make_user()))
    assert reply.status_code == 400 and "reference:" in reply.json["error"]


def test_api_refuses_a_reference_taken_in_another_case(client, make_user, make_role, token_for):
    make_role(reference="REQ-7")
    reply = client.post("/api/v1/roles", json={"reference": "req-7", "title": "X"}, headers=token_for(make_user()))
    assert reply.status_code == 400 and "already a role" in reply.json["error"]


def test_api_refuses_a_recruiter_as_line_manager(client, make_user, token_for):
    other = make_user("recruiter")
    reply = client.post(
        "/api/v1/roles",
        json={"reference": "R-1", "title": "X", "line_managers": [other.email]},
        headers=token_for(make_user()),
    )
    assert reply.status_code == 400 and "line_managers:" in reply.json["error"]


def test_line_manager_may_not_create_a_role(client, make_user, token_for):
    reply = client.post(
        "/api/v1/roles", json={"reference": "R-1", "title": "X"}, headers=token_for(make_user("line_manager"))
    )
    assert reply.status_code == 403


def test_api_patch_closes_a_role_and_audits_it(client, make_user, make_role, token_for, db_session):
    role = make_role()
    reply = client.patch(f"/api/v1/roles/{role.id}", json={"open": False}, headers=token_for(make_user()))
    event = db_session.scalar(
        select(AuditEvent).where(AuditEvent.target_id == role.id, AuditEvent.target_type == "job_role")
    )
    assert reply.json["open"] is False and event.action == "role.close"


def test_api_get_keeps_its_shape(client, make_user, make_role, token_for):
    role = make_role()
    body = client.get(f"/api/v1/roles/{role.id}", headers=token_for(make_user())).json
    assert {"id", "reference", "title", "open", "next_update_on", "stages"} <= set(body)


def test_line_manager_lists_only_her_roles(client, make_user, make_role, token_for):
    mine, _ = make_role(), make_role()
    listed = client.get("/api/v1/roles", headers=token_for(make_user("line_manager", roles=[mine]))).json["roles"]
    assert [r["id"] for r in listed] == [mine.id]


def test_cli_creates_closes_and_reopens_a_role(runner, make_user, db_session):
    owner = make_user("recruiter")
    runner.invoke(roles_command, ["create", "REQ-9", "--title", "Chef", "--owner", owner.email, "--team", "Kitchen"])
    runner.invoke(roles_command, ["close", "REQ-9"])
    result = runner.invoke(roles_command, ["reopen", "req-9"])
    role = db_session.scalar(select(JobRole).where(JobRole.reference == "REQ-9"))
    db_session.refresh(role)
    assert result.exit_code == 0 and role.is_open and role.owner_id == owner.id and role.team.name == "Kitchen"


def test_cli_edit_reports_a_bad_field(runner, make_role):
    make_role(reference="REQ-10")
    result = runner.invoke(roles_command, ["edit", "REQ-10", "--owner", "nobody@example.com"])
    assert result.exit_code == 1 and "owner: no user nobody@example.com" in result.output


def test_cli_lists_roles(runner, make_role):
    make_role("Chef", reference="REQ-11")
    result = runner.invoke(roles_command, ["list"])
    assert "REQ-11\topen" in result.output
