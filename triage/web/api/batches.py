"""/api/v1/batches: create, preview, send (now or at a time), progress, retry the failed, cancel."""

from __future__ import annotations

from datetime import date, datetime

from flask import jsonify, request, url_for
from sqlalchemy import select

from triage.accounts import users
from triage.db import Batch
from triage.errors import BadInput, NotFound
from triage.outbound import batches, delivery, dispatch
from triage.web.api import api_user, bp, openapi, token_required
from triage.web.services import db, redis, settings


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadInput("send a JSON object")
    return data


def _date(value, name: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise BadInput(f"{name} must be a date like 2026-12-11") from None


def _moment(value, name: str) -> datetime:
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"{name} must be a date-time with a time zone, like 2026-12-11T09:00:00+01:00") from None
    if when.tzinfo is None:
        raise BadInput(f"{name} must carry a time zone")
    return when


def _visible(role_ids: list[int]) -> list[int]:
    for role_id in role_ids:
        if not users.can_see_role(db(), api_user(), role_id):
            raise NotFound(f"no role {role_id}")
    return role_ids


def _choice(data: dict) -> dict:
    """The roles × stages × template × date a batch is about, from a request body."""
    if "roles" in data:
        role_ids = batches.role_ids_for(db(), [str(r) for r in data["roles"]])
    else:
        role_ids = data.get("role_ids")
        if not isinstance(role_ids, list) or not all(isinstance(r, int) for r in role_ids):
            raise BadInput("role_ids must be a list of role ids (or give roles: references)")
    if "template" in data:
        template_id = batches.template_named(db(), str(data["template"])).id
    elif isinstance(data.get("template_id"), int):
        template_id = data["template_id"]
    else:
        raise BadInput("give template_id, or template (a name or a kind)")
    stages = data.get("stages")
    if not isinstance(stages, list) or not all(isinstance(s, str) for s in stages):
        raise BadInput("stages must be a list of stage names")
    if "next_update_on" not in data:
        raise BadInput("next_update_on is required")
    return {
        "role_ids": _visible(role_ids),
        "stages": stages,
        "template_id": template_id,
        "next_update_on": _date(data["next_update_on"], "next_update_on"),
        "override": bool(data.get("override", False)),
    }


def _progress(batch_id: int) -> dict:
    body = batches.progress(db(), batch_id)
    body["url"] = url_for("api.get_batch", batch_id=batch_id)
    return body


def _own(batch_id: int) -> Batch:
    batch = batches.get(db(), batch_id)
    visible = users.visible_role_ids(db(), api_user())
    if visible is not None and not set(batch.role_ids) <= visible:
        raise NotFound(f"no batch {batch_id}")
    return batch


def _start(batch: Batch, data: dict) -> tuple[dict, int]:
    """Send now, or schedule when `send_at` is given; commit, then hand the work to RQ."""
    if data.get("send_at"):
        batches.schedule(db(), batch.id, _moment(data["send_at"], "send_at"), api_user().id)
        db().commit()
        dispatch.enqueue_scheduled(redis(), batch)
        return _progress(batch.id), 202
    dispatch.send_batch_now(db(), settings(), redis(), batch.id, user_id=api_user().id)
    return _progress(batch.id), 202


@bp.post("/batches/preview")
@token_required
def preview_batch():
    data = _body()
    limit = min(int(data.get("limit", 3)), 50)
    return jsonify(batches.preview(db(), **_choice(data), user_id=api_user().id, limit=limit))


@bp.post("/batches")
@token_required
def create_batch():
    data = _body()
    batch = batches.create(db(), **_choice(data), user_id=api_user().id)
    db().commit()
    if data.get("send") or data.get("send_at"):
        body, status = _start(batch, data)
    else:
        body, status = _progress(batch.id), 201
    return jsonify(body), status, {"Location": body["url"]}


@bp.get("/batches")
@token_required
def list_batches():
    rows = db().scalars(select(Batch).order_by(Batch.id.desc()).limit(min(int(request.args.get("limit", 50)), 500)))
    visible = users.visible_role_ids(db(), api_user())
    return jsonify(batches=[_progress(b.id) for b in rows if visible is None or set(b.role_ids) <= visible])


@bp.get("/batches/<int:batch_id>")
@token_required
def get_batch(batch_id: int):
    _own(batch_id)
    return jsonify(_progress(batch_id))


@bp.post("/batches/<int:batch_id>/send")
@token_required
def send_batch(batch_id: int):
    body, status = _start(_own(batch_id), request.get_json(silent=True) or {})
    return jsonify(body), status


@bp.post("/batches/<int:batch_id>/retry")
@token_required
def retry_batch(batch_id: int):
    _own(batch_id)
    ids = batches.retry_failed(db(), settings(), batch_id, api_user().id)
    db().commit()
    dispatch.enqueue_delivery(redis(), ids, delivery.chunk_size(settings()))
    return jsonify({**_progress(batch_id), "retried": len(ids)}), 202


@bp.post("/batches/<int:batch_id>/cancel")
@token_required
def cancel_batch(batch_id: int):
    _own(batch_id)
    result = batches.cancel(db(), batch_id, api_user().id, redis())
    db().commit()
    return jsonify({**_progress(batch_id), **result})


_CHOICE = {
    "type": "object",
    "required": ["stages", "next_update_on"],
    "properties": {
        "role_ids": {"type": "array", "items": {"type": "integer"}},
        "roles": {"type": "array", "items": {"type": "string"}, "description": 'role references, or ["all"]'},
        "stages": {"type": "array", "items": {"type": "string"}},
        "template_id": {"type": "integer"},
        "template": {"type": "string", "description": "a template name, or a kind such as status_update"},
        "next_update_on": {"type": "string", "format": "date"},
        "override": {"type": "boolean", "description": "send even to candidates updated in the last N days"},
    },
}
_ID = [{"name": "batch_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_PROGRESS = {"application/json": {"schema": {"$ref": "#/components/schemas/BatchProgress"}}}
_ERRORS = {
    "400": {"description": "bad input"},
    "401": {"description": "no valid token"},
    "404": {"description": "no such batch, role or template"},
}

openapi.add_paths(
    {
        "/batches": {
            "get": {"summary": "Recent batches with their progress", "responses": {"200": {"description": "batches"}}},
            "post": {
                "summary": "Create a batched status update; send it now (send: true) or at send_at",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "allOf": [
                                    {"$ref": "#/components/schemas/BatchChoice"},
                                    {
                                        "type": "object",
                                        "properties": {
                                            "send": {"type": "boolean"},
                                            "send_at": {"type": "string", "format": "date-time"},
                                        },
                                    },
                                ]
                            }
                        }
                    },
                },
                "responses": {
                    "201": {"description": "draft created", "content": _PROGRESS},
                    "202": {"description": "sending or scheduled", "content": _PROGRESS},
                    **_ERRORS,
                },
            },
        },
        "/batches/preview": {
            "post": {
                "summary": "How many candidates a batch would write to, the skips and why, and the first emails",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchChoice"}}},
                },
                "responses": {
                    "200": {
                        "description": "preview",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "count": {"type": "integer"},
                                        "skipped": {"type": "object", "additionalProperties": {"type": "integer"}},
                                        "samples": {"type": "array", "items": {"type": "object"}},
                                    },
                                }
                            }
                        },
                    },
                    **_ERRORS,
                },
            }
        },
        "/batches/{batch_id}": {
            "get": {
                "summary": "Progress: queued / sent / failed, failures with reasons",
                "parameters": _ID,
                "responses": {"200": {"description": "progress", "content": _PROGRESS}, **_ERRORS},
            }
        },
        "/batches/{batch_id}/send": {
            "post": {
                "summary": "Send a draft now, or schedule it (body: {send_at})",
                "parameters": _ID,
                "responses": {"202": {"description": "started", "content": _PROGRESS}, **_ERRORS},
            }
        },
        "/batches/{batch_id}/retry": {
            "post": {
                "summary": "Queue the failed emails again",
                "parameters": _ID,
                "responses": {"202": {"description": "queued", "content": _PROGRESS}, **_ERRORS},
            }
        },
        "/batches/{batch_id}/cancel": {
            "post": {
                "summary": "Cancel a scheduled batch, or its emails not yet sent",
                "parameters": _ID,
                "responses": {"200": {"description": "cancelled", "content": _PROGRESS}, **_ERRORS},
            }
        },
    },
    {
        "BatchChoice": _CHOICE,
        "BatchProgress": {
            "type": "object",
            "required": ["id", "state", "total", "queued", "sent", "failed"],
            "properties": {
                "id": {"type": "integer"},
                "state": {"type": "string"},
                "total": {"type": "integer"},
                "queued": {"type": "integer"},
                "sent": {"type": "integer"},
                "failed": {"type": "integer"},
                "cancelled": {"type": "integer"},
                "percent": {"type": "integer"},
                "skipped": {"type": "object", "additionalProperties": {"type": "integer"}},
                "failures": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "outbound_id": {"type": "integer"},
                            "to": {"type": "string"},
                            "reason": {"type": "string"},
                        },
                    },
                },
                "scheduled_for": {"type": ["string", "null"], "format": "date-time"},
                "url": {"type": "string"},
            },
        },
    },
)
