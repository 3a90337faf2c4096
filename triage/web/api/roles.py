"""GET /api/v1/roles and /api/v1/roles/<id>."""

from __future__ import annotations

from flask import jsonify
from sqlalchemy import func, select

from triage.accounts import users
from triage.db import Application, JobRole
from triage.errors import NotFound
from triage.web import params
from triage.web.api import api_user, bp, token_required
from triage.web.services import db


def role_json(role: JobRole, stages: dict | None = None) -> dict:
    body = {
        "id": role.id,
        "reference": role.reference,
        "title": role.title,
        "open": role.is_open,
        "next_update_on": role.next_update_on.isoformat() if role.next_update_on else None,
    }
    if stages is not None:
        body["stages"] = stages
    return body


@bp.get("/roles")
@token_required
def list_roles():
    return jsonify(roles=[role_json(r) for r in users.roles_for(db(), api_user())])


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
