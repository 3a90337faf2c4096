"""GET/PUT /api/v1/team/policy: a team's routing settings, every one of TeamPolicy's, validated per field."""

from __future__ import annotations

from flask import jsonify, request

from triage.db import Team, UserRole
from triage.errors import Forbidden
from triage.hiring import teams
from triage.processing import policy
from triage.web.api import api_user, bp, openapi, token_required
from triage.web.services import db


def policy_json(team: Team) -> dict:
    current = policy.TeamPolicy.from_json(team.policy)
    return {
        "team": {"id": team.id, "name": team.name},
        "policy": policy.to_json(current),
        "stored": dict(team.policy or {}),
        "settings": [
            {
                "key": s.key,
                "unit": s.unit,
                "help": s.help,
                "kind": s.kind,
                "default": policy.to_json(policy.TeamPolicy())[s.key],
            }
            for s in policy.settings()
        ],
    }


@bp.get("/team/policy")
@token_required
def get_team_policy():
    return jsonify(policy_json(teams.find(db(), api_user(), request.args.get("team"))))


@bp.put("/team/policy")
@token_required
def put_team_policy():
    """The body is the whole policy ({"waiting_window_days": 10, ...}); keys left out take their defaults."""
    user = api_user()
    if user.role != UserRole.admin:
        raise Forbidden("only admins change a team's policy")
    team = teams.find(db(), user, request.args.get("team"))
    try:
        teams.set_policy(db(), team, request.get_json(silent=True), user.id)
    except policy.PolicyErrors as exc:
        db().rollback()
        return jsonify(error=f"the policy was not saved: {exc}", status=400, errors=exc.errors), 400
    db().commit()
    return jsonify(policy_json(team))


openapi.add_paths(
    {
        "/team/policy": {
            "get": {
                "summary": "A team's policy: every setting, its value, unit, help and default (team=ID or name)",
                "parameters": [{"name": "team", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "the policy", "content": {"application/json": {}}}},
            },
            "put": {
                "summary": "Replace a team's policy (admins); keys left out take their defaults; audited",
                "parameters": [{"name": "team", "in": "query", "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "the policy"},
                    "400": {"description": "errors: each bad setting with its reason; nothing saved"},
                },
            },
        }
    }
)
