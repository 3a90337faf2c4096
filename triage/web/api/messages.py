"""POST /api/v1/messages (raw MIME in, 202 once stored) and GET /api/v1/messages/<id>."""

from __future__ import annotations

import atexit
import logging
import os
import threading
from datetime import datetime
from urllib.parse import parse_qsl

from flask import current_app, jsonify, request, url_for
from werkzeug.exceptions import UnsupportedMediaType
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from triage.accounts import users
from triage.db import Message
from triage.errors import BadInput, Forbidden, NotFound, TooLarge
from triage.intake import http
from triage.web import params
from triage.web.api import api_user, bp, openapi, token_required
from triage.web.services import database, db, redis, settings

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
_lock = threading.Lock()


@bp.post("/messages")
@token_required
def post_message():
    raw, form = _posted(settings().max_message_bytes)
    sender, recipient = http.envelope(_param(form, "from"), _param(form, "to"), _param(form, "envelope"))
    accepted = _intake().accept(raw, sender, recipient, _received_at(_param(form, "received_at")))
    status = 200 if accepted.duplicate else 202
    location = url_for("api.get_message", message_id=accepted.id)
    return jsonify(id=accepted.id, duplicate=accepted.duplicate, url=location), status, {"Location": location}


def _intake() -> http.HttpIntake:
    """This process's HTTP intake for this app, made on first use (after a fork: threads do not survive one)."""
    key = f"triage.http_intake.{os.getpid()}"
    found = current_app.extensions.get(key)
    if found is None:
        with _lock:
            found = current_app.extensions.get(key)
            if found is None:
                found = current_app.extensions[key] = http.HttpIntake(database(), _redis)
                atexit.register(found.close)  # a graceful stop finishes what is pending
    return found


FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")
FORM_OVERHEAD = 1024 * 1024  # Flask's MAX_CONTENT_LENGTH allows the same for the form around the message
JSON_REFUSED = (
    "JSON webhooks are not supported: send the raw email as the body with Content-Type message/rfc822, "
    "or in a multipart form field named 'email'"
)


def _posted(limit: int) -> tuple[bytes, dict[str, str]]:
    """The raw MIME as the sender posted it, byte for byte, and the form's other fields (if a form).

    Any body type that may hold an email is read as one (message/rfc822, message/global,
    text/plain, application/octet-stream, none: gateways label it all of these ways); only JSON,
    which cannot be an email, is refused with 415."""
    if request.is_json:
        raise UnsupportedMediaType(JSON_REFUSED)
    form = request.mimetype in FORMS
    allowed = limit + (FORM_OVERHEAD if form else 0)
    body = _read(allowed, limit)
    if not form:
        return body, {}
    fields = _multipart(body) if request.mimetype == "multipart/form-data" else _urlencoded(body)
    for name in http.MIME_FIELDS:
        if name in fields:
            raw = fields[name]
            break
    else:
        raise BadInput(
            f"no raw message: send it as message/rfc822, or in a form field named one of {', '.join(http.MIME_FIELDS)}"
        )
    if len(raw) > limit:
        raise _too_large(limit)
    others = {name: value.decode("utf-8", "replace") for name, value in fields.items() if name not in http.MIME_FIELDS}
    return raw, others


def _read(allowed: int, limit: int) -> bytes:
    """The request body, refused with 413 before more than `allowed` bytes are read."""
    if request.content_length is not None and request.content_length > allowed:
        raise _too_large(limit)
    chunks, size = [], 0
    stream = request.stream
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > allowed:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> TooLarge:
    return TooLarge(f"the message is over the {limit // (1024 * 1024)} MB limit")


def _multipart(body: bytes) -> dict[str, bytes]:
    """Each field's bytes as posted (the first of a repeated name).

    Not request.form: it decodes a text field as UTF-8 with replacement, and a Latin-1 message
    posted in SendGrid's `email` field would lose its 8-bit bytes. Werkzeug's own decoder, so the
    parts are split exactly as Flask splits them."""
    boundary = request.mimetype_params.get("boundary")
    if not boundary:
        raise BadInput("a multipart/form-data body needs a boundary parameter in its Content-Type")
    fields: dict[str, bytes] = {}
    name, chunks = None, []
    try:
        decoder = MultipartDecoder(boundary.encode("latin-1"), max_parts=current_app.config["MAX_FORM_PARTS"])
        decoder.receive_data(body)
        decoder.receive_data(None)
        while not isinstance(event := decoder.next_event(), Epilogue | NeedData):
            if isinstance(event, Field | File):
                name, chunks = event.name, []
            elif isinstance(event, Data):
                chunks.append(event.data)
                if not event.more_data and name is not None:
                    fields.setdefault(name, b"".join(chunks))
    except ValueError as exc:  # werkzeug's words for a broken form; UnicodeError for an odd boundary
        raise BadInput(f"the multipart form could not be read: {exc}") from None
    return fields


def _urlencoded(body: bytes) -> dict[str, bytes]:
    """Each field's bytes as posted (the first of a repeated name): %XX escapes decoded to bytes,
    not to UTF-8 text, so 8-bit bytes survive (Latin-1 maps every byte to one character and back)."""
    fields: dict[str, bytes] = {}
    for name, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="latin-1"):
        fields.setdefault(name.encode("latin-1").decode("utf-8", "replace"), value.encode("latin-1"))
    return fields


def _param(form: dict[str, str], name: str) -> str | None:
    return request.args.get(name) or form.get(name) or None


def _received_at(value: str | None) -> datetime | None:
    if value is None:
        return None
    if not api_user().is_admin:
        raise Forbidden("only admin tokens may set received_at")
    return params.moment(value, "received_at")


def _redis():
    try:
        return redis()
    except Exception as exc:  # noqa: BLE001 - a broken Redis URL must not stop intake; the sweeper enqueues
        log.warning("no Redis client: %s", type(exc).__name__)
        return None


@bp.get(f"/messages/<{params.ID}:message_id>")
@token_required
def get_message(message_id: int):
    message = db().get(Message, message_id)
    # As in the web inbox: a line manager sees their roles' messages, not those with no role.
    if message is None or not users.can_see_role(db(), api_user(), message.role_id):
        raise NotFound(f"no message {message_id}")
    return jsonify(message_json(message))


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def message_json(m: Message) -> dict:
    return {
        "id": m.id,
        "state": str(m.state),
        "channel": str(m.channel),
        "message_id": m.message_id,
        "received_at": _iso(m.received_at),
        "processed_at": _iso(m.processed_at),
        "size": m.size,
        "from": {"name": m.from_name, "address": m.from_address},
        "original_from": {"name": m.original_from_name, "address": m.original_from_address},
        "forwarded": m.forwarded_by_id is not None,
        "forwarded_by_id": m.forwarded_by_id,
        "forwarded_at": _iso(m.forwarded_at),  # when the forward reached us; received_at is the candidate's date
        "subject": m.subject,
        "sent_at": _iso(m.sent_at),
        "body_text": m.body_text,
        "reply_text": m.reply_text,
        "in_reply_to": m.in_reply_to,
        "references": m.references or [],
        "auto_reply": m.auto_reply,
        "attachments": m.attachments or [],
        "defects": m.defects or [],
        "candidate_id": m.candidate_id,
        "application_id": m.application_id,
        "role_id": m.role_id,
        "thread_id": m.thread_id,
        "intent": m.intent,
        "confidence": m.confidence,
        "model_version": m.model_version,
        "lane": str(m.lane) if m.lane else None,
        "reasons": m.reasons or [],
        "is_chaser": m.is_chaser,
        "due_at": _iso(m.due_at),
        "proposal": m.proposal,  # a state change the mail asked for but was not trusted to make
        "authenticity": m.authenticity,
        "error": m.error,
    }


_NULLABLE_STRING = {"type": ["string", "null"]}
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
openapi.add_paths(
    {
        "/messages": {
            "post": {
                "summary": "Store an inbound email (raw MIME); processing follows in the background",
                "description": "Send the raw message as the body (Content-Type message/rfc822; message/global, "
                "text/plain, application/octet-stream or no type are read the same way), or as the form "
                "field `email` / `mime` / `body-mime` of a multipart or URL-encoded form (inbound-parse "
                "services); the stored raw is the bytes posted. JSON webhooks (parsed fields instead of the "
                "raw message) are not supported: 415. Replayed deliveries are recognised by Message-ID plus "
                "content hash.",
                "parameters": [
                    {
                        "name": "received_at",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "format": "date-time"},
                        "description": "Backfills: when the message was originally received (admin tokens only).",
                    },
                    {
                        "name": "to",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "Envelope recipient, e.g. jobs+REQ-1042@… to pin the role.",
                    },
                    {
                        "name": "from",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "Envelope sender.",
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "message/rfc822": {"schema": {"type": "string", "format": "binary"}},
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "email": {"type": "string", "format": "binary"},
                                    "mime": {"type": "string"},
                                    "envelope": {"type": "string", "description": 'JSON {"to": [...], "from": "..."}'},
                                    "received_at": {"type": "string", "format": "date-time"},
                                },
                            }
                        },
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "email": {"type": "string"},
                                    "envelope": {"type": "string"},
                                    "received_at": {"type": "string", "format": "date-time"},
                                },
                            }
                        },
                    },
                },
                "responses": {
                    "202": {
                        "description": "stored; processing is queued",
                        "headers": {"Location": {"schema": {"type": "string"}}},
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}},
                    },
                    "200": {
                        "description": "a duplicate of a stored message; its id",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}},
                    },
                    "400": {"description": "not an email, or a form without the message field", "content": _ERROR},
                    "401": {"description": "no valid token"},
                    "403": {"description": "received_at with a non-admin token", "content": _ERROR},
                    "413": {"description": "over the size limit", "content": _ERROR},
                    "415": {"description": "JSON, which is not an email: post the raw message", "content": _ERROR},
                    "503": {"description": "database unavailable; retry", "content": _ERROR},
                },
            }
        },
        "/messages/{message_id}": {
            "get": {
                "summary": "One message: parsed fields, intent, confidence, lane, reasons and processing state",
                "parameters": [{"name": "message_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {
                    "200": {
                        "description": "the message",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}},
                    },
                    "401": {"description": "no valid token"},
                    "404": {
                        "description": "no such message, or not yours (a line manager sees only their roles' "
                        "messages, not those with no role)",
                        "content": _ERROR,
                    },
                },
            }
        },
    },
    {
        "Accepted": {
            "type": "object",
            "required": ["id", "duplicate"],
            "properties": {"id": {"type": "integer"}, "duplicate": {"type": "boolean"}, "url": {"type": "string"}},
        },
        "Mailbox": {"type": "object", "properties": {"name": _NULLABLE_STRING, "address": _NULLABLE_STRING}},
        "Message": {
            "type": "object",
            "required": ["id", "state", "lane", "intent", "reasons"],
            "properties": {
                "id": {"type": "integer"},
                "state": {
                    "type": "string",
                    "enum": ["received", "triaged", "held", "answered", "replied", "archived", "snoozed", "failed"],
                },
                "channel": {"type": "string", "enum": ["http", "smtp", "imap", "import"]},
                "message_id": _NULLABLE_STRING,
                "received_at": {"type": "string", "format": "date-time"},
                "processed_at": {"type": ["string", "null"], "format": "date-time"},
                "from": {"$ref": "#/components/schemas/Mailbox"},
                "original_from": {"$ref": "#/components/schemas/Mailbox"},
                "forwarded": {"type": "boolean"},
                "forwarded_at": {"type": ["string", "null"], "format": "date-time"},
                "subject": _NULLABLE_STRING,
                "body_text": _NULLABLE_STRING,
                "reply_text": _NULLABLE_STRING,
                "auto_reply": {"type": "boolean"},
                "candidate_id": {"type": ["integer", "null"]},
                "application_id": {"type": ["integer", "null"]},
                "role_id": {"type": ["integer", "null"]},
                "intent": _NULLABLE_STRING,
                "confidence": {"type": ["number", "null"]},
                "model_version": _NULLABLE_STRING,
                "lane": {"type": ["string", "null"], "enum": ["today", "feedback", "held", "fyi", "review", None]},
                "reasons": {"type": "array", "items": {"type": "string"}},
                "is_chaser": {"type": "boolean"},
                "due_at": {"type": ["string", "null"], "format": "date-time"},
                "proposal": _NULLABLE_STRING,
                "authenticity": _NULLABLE_STRING,
                "error": _NULLABLE_STRING,
            },
        },
    },
)
