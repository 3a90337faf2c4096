"""The batch and outbox JSON API: create, preview, send, progress, retry, cancel, documented."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from triage.accounts import users
from triage.runtime import worker

NEXT = (date.today() + timedelta(days=7)).isoformat()


@pytest.fixture
def auth(db_session, make_user):
    def build(role: str = "recruiter", roles=()):
        user = make_user(role, roles=list(roles))
        token = users.create_token(db_session, user, "t")
        db_session.commit()
        return {"Authorization": f"Bearer {token}"}

    return build


@pytest.fixture
def role_with_candidates(make_role, make_application):
    role = make_role(title="Data Analyst", reference="REQ-42")
    for i in range(3):
        make_application(name=f"Person{i} Smith", role=role, stage="interviewed")
    return role


def choice(**kw):
    return {"roles": ["REQ-42"], "stages": ["interviewed"], "template": "status_update", "next_update_on": NEXT, **kw}


def test_preview_returns_count_and_samples(client, auth, role_with_candidates):
    response = client.post("/api/v1/batches/preview", json=choice(limit=2), headers=auth())
    first = [s["why"].split(",")[0] for s in response.json["samples"][:2]]
    assert response.status_code == 200 and (response.json["count"], first) == (3, ["recipient 1", "recipient 2"])


def test_create_send_and_progress(client, auth, settings, sink, role_with_candidates):
    headers = auth()
    created = client.post("/api/v1/batches", json=choice(send=True, confirm=3), headers=headers)
    assert created.status_code == 202 and created.json["queued"] == 3
    worker.build(settings).work(burst=True)
    progress = client.get(created.headers["Location"], headers=headers).json
    assert (progress["sent"], progress["failed"], progress["state"], progress["percent"]) == (3, 0, "sent", 100)


def test_draft_then_send(client, auth, settings, role_with_candidates):
    headers = auth()
    draft = client.post("/api/v1/batches", json=choice(), headers=headers)
    assert draft.status_code == 201 and draft.json["state"] == "draft"
    sent = client.post(f"/api/v1/batches/{draft.json['id']}/send", json={"confirm": 3}, headers=headers)
    assert sent.status_code == 202 and sent.json["queued"] == 3


def test_schedule_and_cancel(client, auth, role_with_candidates):
    headers = auth()
    at = (date.today() + timedelta(days=1)).isoformat() + "T09:00:00+00:00"
    scheduled = client.post("/api/v1/batches", json=choice(send_at=at, confirm=3), headers=headers)
    assert scheduled.status_code == 202 and scheduled.json["state"] == "scheduled"
    cancelled = client.post(f"/api/v1/batches/{scheduled.json['id']}/cancel", headers=headers)
    assert cancelled.json["state"] == "cancelled"


def test_retry_failed(client, auth, settings, sink, role_with_candidates):
    headers = auth()
    sink.handler.mode = "permfail"
    created = client.post("/api/v1/batches", json=choice(send=True, confirm=3), headers=headers)
    worker.build(settings).work(burst=True)
    assert client.get(created.headers["Location"], headers=headers).json["failed"] == 3
    sink.handler.mode = "accept"
    retried = client.post(f"/api/v1/batches/{created.json['id']}/retry", headers=headers)
    worker.build(settings).work(burst=True)
    assert retried.json["retried"] == 3 and client.get(created.headers["Location"], headers=headers).json["sent"] == 3


def test_bad_input_is_a_400_with_the_reason(client, auth, role_with_candidates):
    response = client.post("/api/v1/batches", json=choice(stages=["nope"]), headers=auth())
    assert response.status_code == 400 and "unknown stage" in response.json["error"]


def test_line_manager_cannot_batch_a_role_they_do_not_own(client, auth, role_with_candidates):
    response = client.post("/api/v1/batches/preview", json=choice(), headers=auth("line_manager"))
    assert response.status_code == 404


def test_token_required(client, role_with_candidates):
    assert client.post("/api/v1/batches/preview", json=choice()).status_code == 401


def test_outbox_lists_rows_with_state(client, auth, settings, sink, role_with_candidates):
    headers = auth()
    client.post("/api/v1/batches", json=choice(send=True, confirm=3), headers=headers)
    worker.build(settings).work(burst=True)
    rows = client.get("/api/v1/outbox?state=sent", headers=headers).json["outbox"]
    assert len(rows) == 3 and {r["kind"] for r in rows} == {"batch"}


def test_openapi_documents_batches_and_outbox(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/batches", "/batches/preview", "/batches/{batch_id}", "/outbox"} <= set(paths)
