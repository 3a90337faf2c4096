"""The message view: who and which stage, the timeline, folded quotes, the sandboxed original."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from triage.db import AuditEvent, Outbound


def test_message_view_shows_candidate_role_stage_and_reasons(
    client, login, make_user, make_role, make_application, make_candidate, make_message
):
    role = make_role("Staff Nurse")
    app = make_application(role, make_candidate("Grace Hopper"), stage="interviewed")
    message = make_message(application=app, reasons=["the candidate answers our request (2 days ago)"])
    login(make_user())
    page = client.get(f"/messages/{message.id}").get_data(as_text=True)
    assert all(
        text in page
        for text in ("Grace Hopper", "Staff Nurse", "interviewed", "the candidate answers our request (2 days ago)")
    )


def test_quoted_history_is_folded_into_details(client, login, make_user, make_role, make_message):
    body = "Here they are.\n\nOn Mon, Recruiter wrote:\n> please send references"
    message = make_message(role=make_role(), body=body, reply_text="Here they are.")
    login(make_user())
    page = client.get(f"/messages/{message.id}").get_data(as_text=True)
    details = page.split('<details class="quoted">', 1)
    assert len(details) == 2 and "please send references" in details[1] and "please send references" not in details[0]


def test_timeline_has_inbound_replies_batch_updates_and_stage_changes(
    client, login, make_user, make_role, make_application, make_message, db_session
):
    from triage.inbox import operations

    role = make_role()
    app = make_application(role)
    now = datetime.now(UTC)
    first = make_message(application=app, subject="Any news?", received_at=now - timedelta(days=9), lane="held")
    current = make_message(application=app, subject="References attached", received_at=now - timedelta(hours=1))
    for kind, subject, at in (
        ("reply", "Re: Any news?", now - timedelta(days=8)),
        ("batch", "An update on REQ", now - timedelta(days=3)),
    ):
        db_session.add(
            Outbound(
                message_id=f"<{kind}@triage>",
                kind=kind,
                application_id=app.id,
                role_id=role.id,
                from_address="jobs@triage.localhost",
                to_address="c@example.org",
                subject=subject,
                body_text="…",
                created_at=at,
                state="sent",
                sent_at=at,
            )
        )
    user = make_user()
    operations.change_stage(db_session, db_session.merge(app), user, "offer", now - timedelta(days=2))
    db_session.commit()
    login(user)
    page = client.get(f"/messages/{current.id}").get_data(as_text=True)
    timeline = page.split('id="timeline-title"', 1)[1]
    order = [
        timeline.index(t)
        for t in ("Any news?", "Re: Any news?", "An update on REQ", "Stage interviewed → offer", "References attached")
    ]
    assert order == sorted(order) and f"/messages/{first.id}" in timeline


def test_html_original_is_in_a_sandboxed_iframe(client, login, make_user, make_role, make_message):
    message = make_message(role=make_role(), html="<p>Hello <b>there</b></p>")
    login(make_user())
    page = client.get(f"/messages/{message.id}").get_data(as_text=True)
    assert (
        f'sandbox="" referrerpolicy="no-referrer" loading="lazy"\n              src="/messages/{message.id}/original"'
        in page
    )


def test_original_is_sanitized_under_a_strict_csp(client, login, make_user, make_role, make_message):
    hostile = (
        '<p onclick="alert(1)">hi</p><script>alert(2)</script><a href="javascript:alert(3)">x</a>'
        '<img src="https://tracker.example/p.gif"><svg onload="alert(4)"></svg>'
        "<style>@import url(https://evil.example/x.css);</style>"
        '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
    )
    message = make_message(role=make_role(), html=hostile)
    login(make_user())
    response = client.get(f"/messages/{message.id}/original")
    body = response.get_data(as_text=True).lower()
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "img-src 'none'" in csp and "sandbox" in csp
    assert not any(
        bad in body for bad in ("<script", "onclick", "javascript:", "tracker.example", "<svg", "@import", "http-equiv")
    )


def test_remote_images_load_only_when_asked(client, login, make_user, make_role, make_message):
    message = make_message(role=make_role(), html='<img src="https://img.example/logo.png" alt="logo">')
    login(make_user())
    page = client.get(f"/messages/{message.id}").get_data(as_text=True)
    assert "1 remote image blocked" in page
    shown = client.get(f"/messages/{message.id}/original?images=1")
    assert "https://img.example/logo.png" in shown.get_data(as_text=True)
    assert "img-src https: http:" in shown.headers["Content-Security-Policy"]


def test_line_manager_cannot_open_another_roles_message(client, login, make_user, make_role, make_message):
    mine, theirs = make_role("Nurse"), make_role("Chef")
    other = make_message(role=theirs, html="<p>x</p>")
    login(make_user("line_manager", roles=[mine]))
    assert [
        client.get(f"/messages/{other.id}").status_code,
        client.get(f"/messages/{other.id}/original").status_code,
    ] == [404, 404]


def test_pages_carry_security_headers(client, login, make_user):
    login(make_user())
    headers = client.get("/").headers
    assert (
        "default-src 'self'" in headers["Content-Security-Policy"]
        and "script-src 'self'" in headers["Content-Security-Policy"]
        and "unsafe-inline" not in headers["Content-Security-Policy"]
        and headers["X-Content-Type-Options"] == "nosniff"
        and headers["X-Frame-Options"] == "DENY"
    )


def test_pages_have_no_inline_scripts_or_handlers(client, login, make_user, make_role, make_message):
    import re

    message = make_message(role=make_role(), html="<p>x</p>")
    login(make_user())
    for path in ("/", f"/messages/{message.id}", "/roles"):
        page = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", page) and not re.search(r"\son[a-z]+=", page), path


def test_viewing_does_not_write_audit_events(client, login, make_user, make_role, make_message, db_session):
    message = make_message(role=make_role())
    login(make_user())
    client.get(f"/messages/{message.id}")
    assert db_session.scalars(select(AuditEvent.action).where(AuditEvent.target_type == "message")).all() == []
