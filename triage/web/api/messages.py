"""POST /api/v1/messages (raw MIME in, 202 once stored) and GET /api/v1/messages/<id>."""

from __future__ import annotations

import atexit
import logging
import os
import threading
from datetime import datetime

from flask import current_app, jsonify, request, url_for

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
    raw = _raw_body(settings().max_message_bytes)
    sender, recipient = http.envelope(_param("from"), _param("to"), _param("envelope"))
    accepted = _intake().accept(raw, sender, recipient, _received_at())
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


def _raw_body(limit: int) -> bytes:
    """The raw MIME, refused with 413 before more than `limit` bytes are read."""
    if request.content_length is not None and request.content_length > limit + (
        1024 * 1024 if request.mimetype.startswith("multipart/") else 0
    ):
        raise TooLarge(f"the message is over the {limit // (1024 * 1024)} MB limit")
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return _form_field(limit)
    chunks, size = [], 0
    stream = request.stream
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the message is over the {limit // (1024 * 1024)} MB limit")
        chunks.append(chunk)
    return b"".join(chunks)


def _form_field(limit: int) -> bytes:
    # Flask's MAX_CONTENT_LENGTH (the limit plus 1 MB for the form) stops an oversized form early.
    for name in http.MIME_FIELDS:
        upload = request.files.get(name)
        if upload is not None:
            data = upload.stream.read(limit + 1)
            break
        if name in request.form:
            data = request.form[name].encode("utf-8", "surrogateescape")
            break
    else:
        raise BadInput(
            f"no raw message: send it as message/rfc822, or in a form field named one of {', '.join(http.MIME_FIELDS)}"
        )
    if len(data) > limit:
        raise TooLarge(f"the message is over the {limit // (1024 * 1024)} MB limit")
    return data


def _param(name: str) -> str | None:
    value = request.args.get(name)
    if value is None and request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        value = request.form.get(name)
    return value or None


def _received_at() -> datetime | None:
    value = _param("received_at")
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
                "description": "Send the raw message as the body (Content-Type message/rfc822), or as the form "
                "field `email` / `mime` / `body-mime` of a multipart form (inbound-parse services). "
                "Replayed deliveries are recognised by Message-ID plus content hash.",
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
                    "400": {"description": "not an email", "content": _ERROR},
                    "401": {"description": "no valid token"},
                    "403": {"description": "received_at with a non-admin token", "content": _ERROR},
                    "413": {"description": "over the size limit", "content": _ERROR},
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
