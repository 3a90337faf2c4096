"""Bulk actions and filters (search: test_search.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from triage.db import AuditEvent, Correction, Message


def _rows(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr class="msg-row[^"]*" id="m(\d+)"', page)]


def _states(db_session, messages) -> list[str]:
    db_session.expire_all()
    return [str(db_session.get(Message, m.id).state) for m in messages]


def test_bulk_archive_closes_every_selected_message(
    client, login, make_user, make_role, make_message, csrf, db_session
):
    role = make_role()
    chosen = [make_message(role=role, lane="fyi") for _ in range(3)]
    left = make_message(role=role, lane="fyi")
    login(make_user())
    client.post("/messages/bulk", data={"csrf_token": csrf(), "action": "archive", "ids": [m.id for m in chosen]})
    assert _states(db_session, chosen + [left]) == ["archived"] * 3 + ["triaged"]


def test_bulk_actions_audit_each_message(client, login, make_user, make_role, make_message, csrf, db_session):
    role = make_role()
    chosen = [make_message(role=role, lane="fyi") for _ in range(2)]
    login(make_user())
    client.post("/messages/bulk", data={"csrf_token": csrf(), "action": "archive", "ids": [m.id for m in chosen]})
    assert db_session.scalar(select(func.count()).where(AuditEvent.action == "message.archive")) == 2


def test_bulk_skips_messages_the_line_manager_may_not_see(
    client, login, make_user, make_role, make_message, csrf, db_session
):
    mine, theirs = make_role("Nurse"), make_role("Chef")
    own, other = make_message(role=mine), make_message(role=theirs)
    login(make_user("line_manager", roles=[mine]))
    client.post("/messages/bulk", data={"csrf_token": csrf(), "action": "archive", "ids": [own.id, other.id]})
    assert _states(db_session, [own, other]) == ["archived", "triaged"]


def test_bulk_answer_with_next_batch_update_holds_them(
    client, login, make_user, make_role, make_message, csrf, db_session
):
    role = make_role()
    chosen = [make_message(role=role, lane="feedback", intent="status_check") for _ in range(2)]
    login(make_user())
    client.post("/messages/bulk", data={"csrf_token": csrf(), "action": "hold", "ids": [m.id for m in chosen]})
    db_session.expire_all()
    rows = [db_session.get(Message, m.id) for m in chosen]
    assert [(r.lane, r.state) for r in rows] == [("held", "held")] * 2
    assert db_session.scalar(select(func.count()).select_from(Correction)) == 2


def test_bulk_move_changes_intent_and_records_corrections(
    client, login, make_user, make_role, make_message, csrf, db_session
):
    role = make_role()
    chosen = [make_message(role=role, lane="review", intent="other") for _ in range(2)]
    login(make_user())
    client.post(
        "/messages/bulk",
        data={
            "csrf_token": csrf(),
            "action": "move",
            "lane": "fyi",
            "intent": "thank_you",
            "ids": [m.id for m in chosen],
        },
    )
    corrections = db_session.scalars(select(Correction)).all()
    assert sorted((c.to_lane, c.to_intent) for c in corrections) == [("fyi", "thank_you")] * 2


def test_bulk_change_stage(client, login, make_user, make_role, make_application, make_message, csrf, db_session):
    role = make_role()
    apps = [make_application(role, stage="interviewed") for _ in range(2)]
    messages = [make_message(application=a, lane="fyi") for a in apps]
    login(make_user())
    client.post(
        "/messages/bulk",
        data={"csrf_token": csrf(), "action": "stage", "stage": "rejected", "ids": [m.id for m in messages]},
    )
    db_session.expire_all()
    assert [str(db_session.get(type(a), a.id).stage) for a in apps] == ["rejected", "rejected"]


def test_bulk_without_csrf_is_refused(client, login, make_user, make_role, make_message, db_session):
    message = make_message(role=make_role())
    login(make_user())
    response = client.post("/messages/bulk", data={"action": "archive", "ids": [message.id]})
    assert response.status_code == 400 and _states(db_session, [message]) == ["triaged"]


def test_filters_by_intent_and_date(client, login, make_user, make_role, make_message):
    role = make_role()
    now = datetime.now(UTC)
    hit = make_message(role=role, lane="today", intent="scheduling", received_at=now - timedelta(days=2))
    make_message(role=role, lane="today", intent="scheduling", received_at=now - timedelta(days=10))
    make_message(role=role, lane="today", intent="info_response", received_at=now - timedelta(days=2))
    since = (now - timedelta(days=3)).date().isoformat()
    login(make_user())
    assert _rows(client.get(f"/?lane=today&intent=scheduling&since={since}").get_data(as_text=True)) == [hit.id]
