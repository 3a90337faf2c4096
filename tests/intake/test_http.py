"""POST /api/v1/messages and GET /api/v1/messages/<id>."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from tests.intake.conftest import make_raw
from triage.db import Message
from triage.processing import pipeline


@pytest.fixture
def auth(make_user, token_for):
    return {"Authorization": f"Bearer {token_for(make_user('recruiter'))}"}


@pytest.fixture
def admin_auth(make_user, token_for):
    return {"Authorization": f"Bearer {token_for(make_user('admin'))}"}


def _post(client, headers, raw: bytes, **kwargs):
    return client.post("/api/v1/messages", data=raw, headers={**headers, "Content-Type": "message/rfc822"}, **kwargs)


def test_a_raw_email_is_accepted_with_202_and_its_id(client, auth, database):
    response = _post(client, auth, make_raw())
    with database.session() as s:
        ids = s.scalars(select(Message.id)).all()
    assert (response.status_code, [response.json["id"]], response.json["duplicate"]) == (202, ids, False)


def test_a_replayed_webhook_gets_200_and_the_same_id(client, auth, database):
    raw = make_raw()
    first, second = _post(client, auth, raw), _post(client, auth, raw)
    with database.session() as s:
        rows = s.scalar(select(func.count()).select_from(Message))
    assert (second.status_code, second.json["id"], rows) == (200, first.json["id"], 1)


def test_inbound_parse_multipart_form_field(client, auth, database):
    raw = make_raw(subject="from a form")
    response = client.post(
        "/api/v1/messages",
        headers=auth,
        content_type="multipart/form-data",
        data={"email": (io.BytesIO(raw), "message.eml"), "envelope": '{"to": ["jobs@triage.localhost"]}'},
    )
    with database.session() as s:
        row = s.get(Message, response.json["id"])
    assert (response.status_code, row.raw, row.envelope_to) == (202, raw, "jobs@triage.localhost")


def test_form_without_a_mime_field_is_a_400_naming_the_fields(client, auth):
    response = client.post("/api/v1/messages", headers=auth, data={"text": "hello"})
    assert response.status_code == 400 and "email" in response.json["error"]


def test_over_the_size_limit_is_413_from_content_length(make_settings, redis_client):
    from triage import create_app
    from triage.accounts import users

    app = create_app(make_settings(TRIAGE_MAX_MESSAGE_MB="1"))
    client = app.test_client()
    with app.extensions["triage.database"].session() as s:
        user = users.create_user(s, "big@example.com", "Big", "correct horse battery", "recruiter")
        token = users.create_token(s, user, "t")
        s.commit()
    body = make_raw(body="x" * (1024 * 1024 + 10))
    response = client.post(
        "/api/v1/messages", data=body, headers={"Authorization": f"Bearer {token}", "Content-Type": "message/rfc822"}
    )
    app.extensions["triage.database"].dispose()
    assert response.status_code == 413 and "limit" in response.json["error"]


class _Endless(io.RawIOBase):
    """A request body with no Content-Length that never ends: must be cut off, not read."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = len(buffer)
        buffer[:n] = b"x" * n
        self.read_bytes += n
        return n


def test_over_the_size_limit_without_content_length_stops_reading(app, auth, settings):
    import json

    from werkzeug.test import EnvironBuilder, run_wsgi_app

    environ = EnvironBuilder(
        path="/api/v1/messages", method="POST", headers={**auth, "Content-Type": "message/rfc822"}
    ).get_environ()
    stream = _Endless()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"wsgi.input": stream, "wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"})
    body, status, _ = run_wsgi_app(app, environ, buffered=True)
    assert (status, json.loads(b"".join(body))["status"]) == ("413 REQUEST ENTITY TOO LARGE", 413)
    assert stream.read_bytes <= settings.max_message_bytes + 2 * 1024 * 1024


def test_a_body_that_is_not_email_is_a_400_with_the_reason(client, auth):
    response = _post(client, auth, b"hello, this is not an email at all")
    assert response.status_code == 400 and "header field" in response.json["error"]


def test_no_token_is_401(client):
    assert _post(client, {}, make_raw()).status_code == 401


def test_admin_may_pass_received_at(client, admin_auth, database):
    response = client.post(
        "/api/v1/messages?received_at=2026-01-02T03:04:05Z",
        data=make_raw(),
        headers={**admin_auth, "Content-Type": "message/rfc822"},
    )
    with database.session() as s:
        received = s.get(Message, response.json["id"]).received_at
    assert received.isoformat() == "2026-01-02T03:04:05+00:00"


def test_recruiter_may_not_pass_received_at(client, auth):
    response = client.post(
        "/api/v1/messages?received_at=2026-01-02T03:04:05Z",
        data=make_raw(),
        headers={**auth, "Content-Type": "message/rfc822"},
    )
    assert response.status_code == 403


def test_database_down_is_503(make_settings, redis_client, tmp_path):
    from triage import create_app

    app = create_app(make_settings(DATABASE_URL=f"sqlite:///{tmp_path}/no/such/dir/x.db"))
    response = _post(app.test_client(), {"Authorization": "Bearer whatever"}, make_raw())
    app.extensions["triage.database"].dispose()
    assert response.status_code == 503


def test_get_returns_parsed_fields_lane_and_reasons(client, auth, database, settings, keyword_model, make_role):
    make_role("Data Analyst")
    posted = _post(client, auth, make_raw(subject="Any update?", body="any update?")).json
    before = client.get(posted["url"], headers=auth).json
    pipeline.run(database, settings, [posted["id"]])
    after = client.get(posted["url"], headers=auth).json
    assert (before["state"], after["state"], after["lane"], after["intent"], after["from"]["address"]) == (
        "received",
        "triaged",
        "review",
        "status_check",
        "ada@example.org",
    ) and "unknown sender" in after["reasons"]


def test_line_manager_does_not_see_messages_of_other_roles(
    client, make_user, token_for, database, settings, keyword_model, make_role, make_application
):
    role = make_role("Data Analyst")
    make_application("ada@example.org", role)
    manager = make_user("line_manager")
    headers = {"Authorization": f"Bearer {token_for(manager)}"}
    posted = _post(client, headers, make_raw(body="thank you")).json
    pipeline.run(database, settings, [posted["id"]])
    assert client.get(posted["url"], headers=headers).status_code == 404


def test_openapi_documents_the_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"post"} <= set(paths["/messages"]) and {"get"} <= set(paths["/messages/{message_id}"])


@pytest.mark.parametrize("value", ["yesterday", "2026-01-02T03:04:05", "9999-12-31T00:00:00Z"])
def test_a_bad_received_at_is_a_400_naming_it_and_stores_nothing(client, admin_auth, database, value):
    response = client.post(
        f"/api/v1/messages?received_at={value}",
        data=make_raw(),
        headers={**admin_auth, "Content-Type": "message/rfc822"},
    )
    with database.session() as s:
        stored = s.scalar(select(func.count()).select_from(Message))
    assert (response.status_code, "received_at" in response.json["error"], stored) == (400, True, 0)
