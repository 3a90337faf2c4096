"""/api/v1/batches: create, preview, send (now or at a time), progress, retry the failed, cancel."""

from __future__ import annotations

from datetime import datetime

from flask import jsonify, request, url_for
from sqlalchemy import select

from triage.accounts import users
from triage.db import Batch
from triage.errors import BadInput, NotFound
from triage.outbound import batches, delivery, dispatch
from triage.web import params
from triage.web.api import api_user, bp, openapi, token_required
from triage.web.services import db, redis, settings

MAX_LIMIT = 500  # batches listed at once
MAX_SAMPLES = 50  # emails rendered in a preview


def _body(*, required: bool = True) -> dict:
    return params.json_object(request.get_json(silent=True), required=required)


def _visible(role_ids: list[int]) -> list[int]:
    for role_id in role_ids:
        if not users.can_see_role(db(), api_user(), role_id):
            raise NotFound(f"no role {role_id}")
    return role_ids


def _choice(data: dict) -> dict:
    """The roles × stages × template × date a batch is about, from a request body."""
    if "roles" in data:
        role_ids = batches.role_ids_for(db(), params.strings(data["roles"], "roles"))
    elif "role_ids" in data:
        role_ids = params.identifiers(data["role_ids"], "role_ids")
    else:
        raise BadInput("give role_ids (role ids), or roles (references)")
    if "template" in data:
        template_id = batches.template_named(db(), params.text(data["template"], "template")).id
    else:
        template_id = params.integer(data.get("template_id"), "template_id")
    if template_id is None:
        raise BadInput("give template_id, or template (a name or a kind)")
    next_update_on = params.day(data.get("next_update_on"), "next_update_on")
    if next_update_on is None:
        raise BadInput("next_update_on is required")
    return {
        "role_ids": _visible(role_ids),
        "stages": params.strings(data.get("stages"), "stages"),
        "template_id": template_id,
        "next_update_on": next_update_on,
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


def _send_at(data: dict) -> datetime | None:
    return params.moment(data["send_at"], "send_at") if data.get("send_at") else None


def _confirm(data: dict) -> int | None:
    return params.integer(data.get("confirm"), "confirm", low=0)


def _start(batch: Batch, send_at: datetime | None, confirm: int | None) -> tuple[dict, int]:
    """Send now, or schedule at `send_at`, once `confirm` is the number of emails that would go;
    commit, then hand the work to RQ. Unconfirmed: 409 with the count and the question, nothing sent."""
    try:
        confirm = batches.require_confirmation(db(), batch, confirm)
        if send_at is not None:
            batches.schedule(db(), batch.id, send_at, api_user().id, confirm=confirm)
            db().commit()
            dispatch.enqueue_scheduled(redis(), batch)
            return _progress(batch.id), 202
        dispatch.send_batch_now(db(), settings(), redis(), batch.id, user_id=api_user().id, confirm=confirm)
    except batches.NotConfirmed as exc:
        db().rollback()
        question = batches.question(db(), batch.role_ids, exc.count)
        body = {**_progress(batch.id), "error": str(exc), "status": 409, "count": exc.count, "question": question}
        return body, 409
    return _progress(batch.id), 202


@bp.post("/batches/preview")
@token_required
def preview_batch():
    data = _body()
    limit = params.integer(data.get("limit"), "limit", default=3, high=MAX_SAMPLES)
    return jsonify(batches.preview(db(), **_choice(data), user_id=api_user().id, limit=limit))


@bp.post("/batches")
@token_required
def create_batch():
    data = _body()
    choice, send_at = _choice(data), _send_at(data)  # both checked before the draft is committed
    batch = batches.create(db(), **choice, user_id=api_user().id)
    db().commit()
    if data.get("send") or send_at is not None:
        body, status = _start(batch, send_at, _confirm(data))
    else:
        body, status = _progress(batch.id), 201
    return jsonify(body), status, {"Location": body["url"]}


@bp.get("/batches")
@token_required
def list_batches():
    limit = params.integer(request.args.get("limit"), "limit", default=50, high=MAX_LIMIT)
    rows = db().scalars(select(Batch).order_by(Batch.id.desc()).limit(limit))
    visible = users.visible_role_ids(db(), api_user())
    return jsonify(batches=[_progress(b.id) for b in rows if visible is None or set(b.role_ids) <= visible])


@bp.get(f"/batches/<{params.ID}:batch_id>")
@token_required
def get_batch(batch_id: int):
    _own(batch_id)
    return jsonify(_progress(batch_id))


@bp.post(f"/batches/<{params.ID}:batch_id>/send")
@token_required
def send_batch(batch_id: int):
    data = _body(required=False)
    body, status = _start(_own(batch_id), _send_at(data), _confirm(data))
    return jsonify(body), status


@bp.post(f"/batches/<{params.ID}:batch_id>/retry")
@token_required
def retry_batch(batch_id: int):
    _own(batch_id)
    ids = batches.retry_failed(db(), settings(), batch_id, api_user().id)
    db().commit()
    dispatch.nudge_delivery(redis(), ids, delivery.chunk_size(settings()))  # Redis down: the sweep sends them
    return jsonify({**_progress(batch_id), "retried": len(ids)}), 202


@bp.post(f"/batches/<{params.ID}:batch_id>/cancel")
@token_required
def cancel_batch(batch_id: int):
    """Cancel a scheduled batch until its time; undo a sent one within its undo window (nothing
    goes; state cancelled); later, stop the emails that have not gone yet."""
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
_CONFIRM = {
    "type": "integer",
    "minimum": 0,
    "description": "required to send or schedule: the number of emails that would go (a preview's count); "
    "a missing or different number sends nothing and answers 409",
}
_UNCONFIRMED = {
    "description": "not confirmed, or the count changed: nothing was sent; the body has count and question "
    '("Send 77 emails to REQ-1045 candidates?"); send again with confirm: count',
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "error": {"type": "string"},
                    "count": {"type": "integer"},
                    "question": {"type": "string"},
                },
            }
        }
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
            "get": {
                "summary": "Recent batches with their progress, newest first",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50},
                    }
                ],
                "responses": {"200": {"description": "batches"}, "400": _ERRORS["400"], "401": _ERRORS["401"]},
            },
            "post": {
                "summary": "Create a batched status update; send it now (send: true) or at send_at, "
                "with confirm: the number of emails (else 409 with count and question, nothing sent)",
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
                                            "confirm": _CONFIRM,
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
                    "409": _UNCONFIRMED,
                    **_ERRORS,
                },
            },
        },
        "/batches/preview": {
            "post": {
                "summary": "How many candidates a batch would write to, the skips and why, and the first emails",
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
                                            "limit": {
                                                "type": "integer",
                                                "minimum": 1,
                                                "maximum": MAX_SAMPLES,
                                                "default": 3,
                                                "description": "how many emails to render",
                                            }
                                        },
                                    },
                                ]
                            }
                        }
                    },
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
                                        "skipped_who": {
                                            "type": "object",
                                            "additionalProperties": {"type": "array", "items": {"type": "string"}},
                                            "description": "per skip reason, who: 'Name <address>'",
                                        },
                                        "recipients": {
                                            "type": "array",
                                            "items": {"type": "object"},
                                            "description": "every candidate the batch would write to "
                                            "(name, email, role, stage)",
                                        },
                                        "samples": {
                                            "type": "array",
                                            "items": {"type": "object"},
                                            "description": "the first emails and the outliers "
                                            "(shortest, longest, no name); each says why in `why`",
                                        },
                                        "question": {"type": "string"},
                                        "asks": {"type": "boolean"},
                                        "undo_seconds": {"type": "integer"},
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
                "summary": "Send a draft now, or schedule it (body: {confirm, send_at})",
                "parameters": _ID,
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "send_at": {"type": "string", "format": "date-time"},
                                    "confirm": _CONFIRM,
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "202": {"description": "started", "content": _PROGRESS},
                    "409": _UNCONFIRMED,
                    **_ERRORS,
                },
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
                "summary": "Cancel a scheduled batch, undo a sent one within its undo window, "
                "or cancel its emails not yet sent",
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
                "undo_until": {
                    "type": ["string", "null"],
                    "format": "date-time",
                    "description": "until when cancel stops every email of the batch (undo send)",
                },
                "url": {"type": "string"},
            },
        },
    },
)
