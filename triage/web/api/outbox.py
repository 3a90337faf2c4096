"""/api/v1/outbox: what we send, with its delivery state."""

from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import select

from triage.accounts import users
from triage.db import Outbound, OutboxState
from triage.errors import NotFound
from triage.outbound import outbox
from triage.web import params
from triage.web.api import api_user, bp, openapi, token_required
from triage.web.services import db

MAX_LIMIT = 500


def outbound_json(row: Outbound) -> dict:
    return {
        "id": row.id,
        "message_id": row.message_id,
        "kind": row.kind,
        "batch_id": row.batch_id,
        "role_id": row.role_id,
        "application_id": row.application_id,
        "to": row.to_address,
        "subject": row.subject,
        "state": str(row.state),
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at.isoformat() if row.next_attempt_at else None,
        "last_error": row.last_error,
        "automatic": row.automatic,
        "created_at": row.created_at.isoformat(),
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
    }


def _visible(query):
    visible = users.visible_role_ids(db(), api_user())
    return query if visible is None else query.where(Outbound.role_id.in_(visible))


@bp.get("/outbox")
@token_required
def list_outbox():
    args = request.args
    query = select(Outbound).order_by(Outbound.id.desc())
    state = params.choice(args.get("state"), "state", [s.value for s in OutboxState])
    if state:
        query = query.where(Outbound.state == OutboxState(state))
    batch_id = params.integer(args.get("batch_id"), "batch_id")
    if batch_id is not None:
        query = query.where(Outbound.batch_id == batch_id)
    before = params.integer(args.get("before"), "before")
    if before is not None:
        query = query.where(Outbound.id < before)
    limit = params.integer(args.get("limit"), "limit", default=50, high=MAX_LIMIT)
    rows = list(db().scalars(_visible(query).limit(limit)))
    return jsonify(outbox=[outbound_json(r) for r in rows], next_before=rows[-1].id if len(rows) == limit else None)


@bp.get(f"/outbox/<{params.ID}:outbound_id>")
@token_required
def get_outbound(outbound_id: int):
    row = db().scalar(_visible(select(Outbound).where(Outbound.id == outbound_id)))
    if row is None:
        raise NotFound(f"no outbound email {outbound_id}")
    return jsonify(outbound_json(row))


@bp.post(f"/outbox/<{params.ID}:outbound_id>/cancel")
@token_required
def cancel_outbound(outbound_id: int):
    """Undo send: stop one email that has not gone yet (a reply in its undo window, a queued retry)."""
    row = db().scalar(_visible(select(Outbound).where(Outbound.id == outbound_id)))
    if row is None:
        raise NotFound(f"no outbound email {outbound_id}")
    stopped = outbox.cancel(db(), outbound_id, by_user=api_user().id)
    db().commit()
    db().refresh(row)
    body = {**outbound_json(row), "cancelled": stopped}
    if not stopped:
        body["error"] = f"outbound email {outbound_id} is {row.state}; it can no longer be cancelled"
    return jsonify(body), 200 if stopped else 409


_ROW = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "message_id": {"type": "string"},
        "kind": {"type": "string"},
        "batch_id": {"type": ["integer", "null"]},
        "to": {"type": "string"},
        "subject": {"type": "string"},
        "state": {"type": "string", "enum": [s.value for s in OutboxState]},
        "attempts": {"type": "integer"},
        "next_attempt_at": {"type": ["string", "null"], "format": "date-time"},
        "last_error": {"type": ["string", "null"]},
        "sent_at": {"type": ["string", "null"], "format": "date-time"},
    },
}

openapi.add_paths(
    {
        "/outbox": {
            "get": {
                "summary": "Outgoing emails, newest first",
                "parameters": [
                    {
                        "name": "state",
                        "in": "query",
                        "schema": {"type": "string", "enum": [s.value for s in OutboxState]},
                    },
                    {"name": "batch_id", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {
                        "name": "before",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1},
                        "description": "page: ids below this",
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "rows",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "outbox": {"type": "array", "items": {"$ref": "#/components/schemas/Outbound"}},
                                        "next_before": {"type": ["integer", "null"]},
                                    },
                                }
                            }
                        },
                    },
                    "400": {"description": "a parameter of the wrong type or out of range"},
                    "401": {"description": "no valid token"},
                },
            }
        },
        "/outbox/{outbound_id}/cancel": {
            "post": {
                "summary": "Undo send: stop an email that has not gone yet",
                "parameters": [{"name": "outbound_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {
                    "200": {
                        "description": "stopped: it will never be sent (cancelled: true)",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Outbound"}}},
                    },
                    "409": {"description": "already sent, being sent, failed or cancelled (cancelled: false)"},
                    "404": {"description": "no such row"},
                },
            }
        },
        "/outbox/{outbound_id}": {
            "get": {
                "summary": "One outgoing email and its delivery state",
                "parameters": [{"name": "outbound_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {
                    "200": {
                        "description": "the row",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Outbound"}}},
                    },
                    "404": {"description": "no such row"},
                },
            }
        },
    },
    {"Outbound": _ROW},
)
