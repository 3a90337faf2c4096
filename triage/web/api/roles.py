"""Roles: GET /api/v1/roles and /api/v1/roles/<id>; POST to create, PATCH to edit, close or reopen."""

from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import func, select

from triage.accounts import users
from triage.db import Application, JobRole, User
from triage.errors import Forbidden, NotFound
from triage.hiring import roles
from triage.web import params
from triage.web.api import api_user, bp, openapi, token_required
from triage.web.services import db


def _person(user: User | None) -> dict | None:
    return None if user is None else {"id": user.id, "email": user.email, "name": user.name}


def role_json(role: JobRole, stages: dict | None = None) -> dict:
    body = {
        "id": role.id,
        "reference": role.reference,
        "title": role.title,
        "open": role.is_open,
        "next_update_on": role.next_update_on.isoformat() if role.next_update_on else None,
        "team": role.team.name if role.team else None,
        "owner": _person(role.owner),
        "line_managers": [_person(u) for u in sorted(role.members, key=lambda u: u.id)],
    }
    if stages is not None:
        body["stages"] = stages
    return body


def _manager() -> User:
    user = api_user()
    if not roles.may_manage(user):
        raise Forbidden("only admins and recruiters change roles")
    return user


@bp.get("/roles")
@token_required
def list_roles():
    return jsonify(roles=[role_json(r) for r in users.roles_for(db(), api_user())])


@bp.post("/roles")
@token_required
def create_role():
    user = _manager()
    role = roles.create(db(), params.json_object(request.get_json(silent=True)), user.id)
    db().commit()
    return jsonify(role_json(role)), 201


@bp.get(f"/roles/<{params.ID}:role_id>")
@token_required
def get_role(role_id: int):
    role = db().get(JobRole, role_id)
    if role is None or not users.can_see_role(db(), api_user(), role_id):
        raise NotFound(f"no role {role_id}")
    stages = dict(
        db()
        .execute(
            select(Application.stage, func.count()).where(Application.role_id == role_id).group_by(Application.stage)
        )
        .all()
    )
    return jsonify(role_json(role, {str(k): v for k, v in stages.items()}))


@bp.patch(f"/roles/<{params.ID}:role_id>")
@token_required
def edit_role(role_id: int):
    user = _manager()
    role = db().get(JobRole, role_id)
    if role is None:
        raise NotFound(f"no role {role_id}")
    roles.edit(db(), role, params.json_object(request.get_json(silent=True)), user.id)
    db().commit()
    return jsonify(role_json(role))


_ROLE_BODY = {
    "type": "object",
    "properties": {
        "reference": {"type": "string", "description": "e.g. REQ-1042 (pinned by jobs+REQ-1042@)"},
        "title": {"type": "string"},
        "team": {"type": ["string", "null"], "description": "a team name; a new name makes the team"},
        "owner": {"type": ["string", "integer", "null"], "description": "the recruiter: email or user id"},
        "line_managers": {"type": "array", "items": {"type": ["string", "integer"]}},
        "open": {"type": "boolean"},
    },
}
_ROLE_REPLY = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Role"}}}}
openapi.add_paths(
    {
        "/roles": {
            **openapi.DOCUMENT["paths"]["/roles"],
            "post": {
                "summary": "Create a role (admins and recruiters); audited",
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ROLE_BODY}}},
                "responses": {
                    "201": {"description": "the role", **_ROLE_REPLY},
                    "400": {"description": "a bad field, named"},
                    "403": {"description": "line managers do not change roles"},
                },
            },
        },
        "/roles/{role_id}": {
            **openapi.DOCUMENT["paths"]["/roles/{role_id}"],
            "patch": {
                "summary": "Edit, close (open: false) or reopen a role; audited",
                "parameters": [{"name": "role_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ROLE_BODY}}},
                "responses": {
                    "200": {"description": "the role", **_ROLE_REPLY},
                    "400": {"description": "a bad field, named"},
                    "404": {"description": "no such role"},
                },
            },
        },
    }
)
