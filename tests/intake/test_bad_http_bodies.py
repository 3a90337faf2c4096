"""POST /api/v1/messages with bodies that used to go wrong: JSON webhooks, 8-bit form fields,
text before the header block."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from tests.intake.conftest import make_raw
from triage.db import Message
from triage.processing import pipeline

LATIN1 = (
    b"From: =?iso-8859-1?q?J=FCrgen?= <juergen@example.org>\r\n"
    b"To: jobs@triage.localhost\r\n"
    b"Subject: Gr\xfc\xdfe\r\n"
    b"Date: Fri, 20 Nov 2026 09:00:00 +0000\r\n"
    b"Message-ID: <latin1-form@example.org>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=iso-8859-1\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Gr\xfc\xdfe aus M\xfcnchen\r\n"
)


@pytest.fixture
def auth(make_user, token_for):
    return {"Authorization": f"Bearer {token_for(make_user('recruiter'))}"}


def _count(database) -> int:
    with database.session() as s:
        return s.scalar(select(func.count()).select_from(Message))


def _stored_raw(database, message_id: int) -> bytes:
    with database.session() as s:
        return s.get(Message, message_id).raw


def _read(client, auth, database, settings, response) -> dict:
    """The message as the API shows it once the pipeline has read it."""
    pipeline.run(database, settings, [response.json["id"]])
    return client.get(response.json["url"], headers=auth).json


# 1. JSON webhooks


def test_a_json_webhook_is_refused_with_415_and_nothing_is_stored(client, auth, database):
    webhook = {"From": "ada@example.org", "Subject": "Any update?", "TextBody": "Any update on my application?"}
    response = client.post("/api/v1/messages", headers=auth, json=webhook)
    assert (response.status_code, "message/rfc822" in response.json["error"], _count(database)) == (415, True, 0)


def test_json_posted_as_plain_text_is_a_400_naming_json(client, auth, database):
    body = json.dumps({"From": "ada@example.org", "TextBody": "hello"}).encode()
    response = client.post("/api/v1/messages", headers={**auth, "Content-Type": "text/plain"}, data=body)
    assert (response.status_code, "JSON" in response.json["error"], _count(database)) == (400, True, 0)


@pytest.mark.parametrize(
    "content_type", ["message/rfc822", "message/global", "text/plain", "application/octet-stream", None]
)
def test_a_raw_email_under_any_type_that_may_hold_one_is_accepted(client, auth, database, content_type):
    raw = make_raw()
    headers = {**auth, **({"Content-Type": content_type} if content_type else {})}
    response = client.post("/api/v1/messages", headers=headers, data=raw)
    assert (response.status_code, _stored_raw(database, response.json["id"])) == (202, raw)


def test_openapi_documents_the_415(client):
    post = client.get("/api/v1/openapi.json").json["paths"]["/messages"]["post"]
    assert "415" in post["responses"] and "JSON" in post["description"]


# 2. Form fields keep the bytes posted


def _multipart_text_field(name: str, value: bytes, boundary: str = "b0undary") -> tuple[bytes, str]:
    """A multipart/form-data body with one text field (no filename), as SendGrid posts `email`."""
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="envelope"\r\n\r\n'
            '{"to": ["jobs@triage.localhost"], "from": "juergen@example.org"}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        ).encode()
        + value
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_latin1_message_in_a_multipart_text_field_is_stored_byte_for_byte(client, auth, database):
    body, content_type = _multipart_text_field("email", LATIN1)
    response = client.post("/api/v1/messages", headers={**auth, "Content-Type": content_type}, data=body)
    assert (response.status_code, _stored_raw(database, response.json["id"])) == (202, LATIN1)


def test_a_latin1_message_in_a_multipart_text_field_reads_in_its_charset(
    client, auth, database, settings, keyword_model
):
    body, content_type = _multipart_text_field("email", LATIN1)
    response = client.post("/api/v1/messages", headers={**auth, "Content-Type": content_type}, data=body)
    assert _read(client, auth, database, settings, response)["body_text"].strip() == "Grüße aus München"


def test_a_latin1_message_in_a_urlencoded_field_is_stored_byte_for_byte(client, auth, database):
    body = urlencode({"email": LATIN1, "to": "jobs+REQ-1@triage.localhost"})
    response = client.post(
        "/api/v1/messages", headers={**auth, "Content-Type": "application/x-www-form-urlencoded"}, data=body
    )
    with database.session() as s:
        row = s.get(Message, response.json["id"])
    assert (response.status_code, row.raw, row.envelope_to) == (202, LATIN1, "jobs+REQ-1@triage.localhost")


def test_a_latin1_message_in_a_urlencoded_field_reads_in_its_charset(client, auth, database, settings, keyword_model):
    body = urlencode({"email": LATIN1})
    response = client.post(
        "/api/v1/messages", headers={**auth, "Content-Type": "application/x-www-form-urlencoded"}, data=body
    )
    assert _read(client, auth, database, settings, response)["body_text"].strip() == "Grüße aus München"


def test_the_envelope_of_a_multipart_text_field_is_read(client, auth, database):
    body, content_type = _multipart_text_field("email", make_raw())
    response = client.post("/api/v1/messages", headers={**auth, "Content-Type": content_type}, data=body)
    with database.session() as s:
        row = s.get(Message, response.json["id"])
    assert (row.envelope_from, row.envelope_to) == ("juergen@example.org", "jobs@triage.localhost")


def test_a_text_field_larger_than_flasks_form_memory_is_stored(client, auth, database):
    # Flask keeps at most MAX_FORM_MEMORY_SIZE (500 kB) of a text field; SendGrid posts whole
    # messages, attachments included, in its `email` text field.
    raw = make_raw(body="x" * 700_000)
    body, content_type = _multipart_text_field("email", raw)
    response = client.post("/api/v1/messages", headers={**auth, "Content-Type": content_type}, data=body)
    assert (response.status_code, _stored_raw(database, response.json["id"])) == (202, raw)


def test_a_multipart_body_without_a_boundary_is_a_400(client, auth, database):
    body, _ = _multipart_text_field("email", make_raw())
    response = client.post("/api/v1/messages", headers={**auth, "Content-Type": "multipart/form-data"}, data=body)
    assert (response.status_code, "boundary" in response.json["error"], _count(database)) == (400, True, 0)


def test_a_cut_off_multipart_body_is_a_400(client, auth, database):
    body, content_type = _multipart_text_field("email", make_raw())
    response = client.post(
        "/api/v1/messages", headers={**auth, "Content-Type": content_type}, data=body[: len(body) // 2]
    )
    assert (response.status_code, _count(database)) == (400, 0)


# 3. Text before the header block


def _enclosed_fixture() -> bytes:
    from tests.shared_fixtures import shared_fixtures_dir

    return (shared_fixtures_dir() / "malformed" / "flanker__enclosed.eml").read_bytes()


def test_a_message_whose_first_line_is_whitespace_is_stored_as_posted(client, auth, database):
    raw = _enclosed_fixture()
    response = client.post("/api/v1/messages", headers={**auth, "Content-Type": "message/rfc822"}, data=raw)
    assert (response.status_code, _stored_raw(database, response.json["id"])) == (202, raw)


def test_a_message_whose_first_line_is_whitespace_is_read(client, auth, database, settings, keyword_model):
    raw = _enclosed_fixture()
    response = client.post("/api/v1/messages", headers={**auth, "Content-Type": "message/rfc822"}, data=raw)
    shown = _read(client, auth, database, settings, response)
    assert (shown["from"]["address"], shown["subject"]) == ("bob@example.net", "Wow")


LEADING = {
    "bom": b"\xef\xbb\xbf",
    "blank line": b"\r\n",
    "blank lines and spaces": b"\r\n  \t\r\n",
}


@pytest.mark.parametrize("lead", LEADING.values(), ids=LEADING.keys())
def test_a_message_with_text_before_its_headers_is_stored_as_posted(client, auth, database, lead):
    raw = lead + make_raw(subject="References", crlf=True)
    response = client.post("/api/v1/messages", headers={**auth, "Content-Type": "message/rfc822"}, data=raw)
    assert (response.status_code, _stored_raw(database, response.json["id"])) == (202, raw)


@pytest.mark.parametrize("lead", LEADING.values(), ids=LEADING.keys())
def test_a_message_with_text_before_its_headers_is_read(client, auth, database, settings, keyword_model, lead):
    raw = lead + make_raw(subject="References", body="references attached", crlf=True)
    response = client.post("/api/v1/messages", headers={**auth, "Content-Type": "message/rfc822"}, data=raw)
    shown = _read(client, auth, database, settings, response)
    assert (shown["from"]["address"], shown["subject"], shown["body_text"].strip()) == (
        "ada@example.org",
        "References",
        "references attached",
    )
