"""Applications: bulk create or update (POST /api/v1/applications), read one with its timeline,
record a dated stage change or a contact made elsewhere."""

from __future__ import annotations

from flask import jsonify, request

from triage.accounts import users
from triage.db import Application
from triage.db.base import utcnow
from triage.errors import BadInput, Forbidden, NotFound
from triage.hiring import applicants, history, roles
from triage.web import params
from triage.web.api import api_user, bp, openapi, token_required
from triage.web.hiring.candidates import given_moment
from triage.web.services import db


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def application_json(app: Application, with_timeline: bool = False) -> dict:
    body = {
        "id": app.id,
        "role_id": app.role_id,
        "candidate": {"id": app.candidate.id, "email": app.candidate.email, "name": app.candidate.name},
        "stage": app.stage.value,
        "applied_at": _iso(app.applied_at),
        "interview_at": _iso(app.interview_at),
        "rejected_at": _iso(app.rejected_at),
        "stage_changed_at": _iso(app.stage_changed_at),
        "last_update_at": _iso(app.last_update_at),
        "last_update_kind": app.last_update_kind,
        "last_update_asked": bool(app.last_update_asked),
        "source": (app.details or {}).get("source"),
    }
    if with_timeline:
        body["timeline"] = [
            {"at": e.at.isoformat(), "kind": e.kind, "text": e.text, "message_id": e.link_message_id}
            for e in history.timeline(db(), app)
        ]
    return body


def _application(application_id: int) -> Application:
    app = db().get(Application, application_id)
    if app is None or not users.can_see_role(db(), api_user(), app.role_id):
        raise NotFound(f"no application {application_id}")
    return app


@bp.post("/applications")
@token_required
def import_applications():
    """{"role": "REQ-1042" or id, "applications": [{email, name, stage, applied_at, ...}]}: all or nothing."""
    user = api_user()
    if not roles.may_manage(user):
        raise Forbidden("only admins and recruiters import applicants")
    body = params.json_object(request.get_json(silent=True))
    key = body.get("role")
    if not isinstance(key, (str, int)) or isinstance(key, bool) or key == "":
        raise BadInput("role must be a role's reference or id")
    role = roles.find(db(), key)
    plan = applicants.plan_records(db(), body.get("applications"), role)
    if plan.errors:
        errors = [{"item": n, "error": why} for n, why in plan.errors]
        return jsonify(error=f"{len(errors)} bad item(s); nothing imported", status=400, errors=errors), 400
    counts = applicants.apply(db(), plan, user.id, source="api")
    db().commit()
    return jsonify(role_id=role.id, **counts), 200


@bp.get(f"/applications/<{params.ID}:application_id>")
@token_required
def get_application(application_id: int):
    return jsonify(application_json(_application(application_id), with_timeline=True))


@bp.post(f"/applications/<{params.ID}:application_id>/stage")
@token_required
def application_stage(application_id: int):
    """{"stage": "interviewed", "at": "2026-12-01" (default now), "interview_at": "...T14:00:00Z"}."""
    app = _application(application_id)
    body = params.json_object(request.get_json(silent=True))
    event = history.change_stage(
        db(),
        app,
        params.text(body.get("stage"), "stage", default="", longest=40),
        now=utcnow(),
        at=given_moment(body.get("at"), "at"),
        interview_at=given_moment(body.get("interview_at"), "interview_at"),
        user_id=api_user().id,
        source="api",
    )
    db().commit()
    return jsonify({**application_json(app), "changed": event is not None})


@bp.post(f"/applications/<{params.ID}:application_id>/contacts")
@token_required
def application_contact(application_id: int):
    """{"at": "2026-12-01", "channel": "phone", "asked": true, "note": "..."}: a contact made outside Triage."""
    app = _application(application_id)
    body = params.json_object(request.get_json(silent=True))
    asked = body.get("asked", False)
    if not isinstance(asked, bool):
        raise BadInput("asked must be true or false")
    history.log_contact(
        db(),
        app,
        now=utcnow(),
        at=given_moment(body.get("at"), "at"),
        channel=params.choice(body.get("channel"), "channel", history.CHANNELS, default="phone"),
        asked=asked,
        note=params.text(body.get("note"), "note", default="", longest=500),
        user_id=api_user().id,
        source="api",
    )
    db().commit()
    return jsonify(application_json(app)), 201


_ID = [{"name": "application_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_JSON = {"application/json": {"schema": {"type": "object"}}}
openapi.add_paths(
    {
        "/applications": {
            "post": {
                "summary": "Create or update a role's applicants in bulk: all items or none (the CSV import's rules)",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["role", "applications"],
                                "properties": {
                                    "role": {"type": ["string", "integer"]},
                                    "applications": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {name: {"type": "string"} for name in applicants.API_FIELDS},
                                        },
                                    },
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": {"description": "counts: new, update, unchanged", "content": _JSON},
                    "400": {"description": "every bad item with its number and reason; nothing imported"},
                },
            }
        },
        "/applications/{application_id}": {
            "get": {
                "summary": "One application with its dates and timeline",
                "parameters": _ID,
                "responses": {
                    "200": {"description": "the application", "content": _JSON},
                    "404": {"description": "no"},
                },
            }
        },
        "/applications/{application_id}/stage": {
            "post": {
                "summary": "A stage change on the day it happened: {stage, at (default now), interview_at}",
                "parameters": _ID,
                "responses": {"200": {"description": "the application", "content": _JSON}},
            }
        },
        "/applications/{application_id}/contacts": {
            "post": {
                "summary": "A contact made outside Triage: {at, channel, asked, note}",
                "parameters": _ID,
                "responses": {"201": {"description": "the application", "content": _JSON}},
            }
        },
    }
)
