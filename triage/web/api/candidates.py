"""POST /api/v1/candidates/erase and /api/v1/candidates/export: a candidate's data, for admins' tokens.

The address travels in the JSON body, not the URL, so that it stays out of access logs.
"""

from __future__ import annotations

from flask import Response, jsonify, request

from triage.db import audit
from triage.db.base import utcnow
from triage.errors import BadInput, Forbidden
from triage.privacy import erase, export
from triage.web import params
from triage.web.api import api_user, bp, token_required
from triage.web.api.openapi import add_paths
from triage.web.services import db, settings


def _candidate():
    if not api_user().is_admin:
        raise Forbidden("only an admin's token may erase or export a candidate's data")
    body = params.json_object(request.get_json(silent=True))
    email = params.text(body.get("email"), "email", longest=320)
    if not email:
        raise BadInput("email is required")
    return erase.find(db(), email)


@bp.post("/candidates/erase")
@token_required
def erase_candidate():
    candidate = _candidate()
    erased = erase.erase(db(), settings(), [candidate.id], user_id=api_user().id, reason="request", now=utcnow())
    db().commit()
    files = erase.remove_files(db(), settings(), erased)
    return jsonify(candidate_id=candidate.id, erased={**dict(erased.counts), "files": files})


@bp.post("/candidates/export")
@token_required
def export_candidate():
    candidate = _candidate()
    data = export.build(db(), candidate, utcnow())
    audit.record(db(), api_user().id, "candidate.export", "candidate", candidate.id, bytes=len(data))
    db().commit()
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="candidate-{candidate.id}.zip"'},
    )


_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"type": "object", "required": ["email"], "properties": {"email": {"type": "string"}}}
        }
    },
}
_ERRORS = {
    "400": {"description": "no email given"},
    "401": {"description": "no valid token"},
    "403": {"description": "not an admin's token"},
    "404": {"description": "no candidate with that address"},
}
add_paths(
    {
        "/candidates/erase": {
            "post": {
                "summary": "Erase every trace of a candidate (irreversible; audited without their data)",
                "requestBody": _BODY,
                "responses": {
                    "200": {
                        "description": "what was erased, counted",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "candidate_id": {"type": "integer"},
                                        "erased": {"type": "object", "additionalProperties": {"type": "integer"}},
                                    },
                                }
                            }
                        },
                    },
                    **_ERRORS,
                },
            }
        },
        "/candidates/export": {
            "post": {
                "summary": "A zip of a candidate's data: raw mail (.eml), data.json, our mail to them, README.txt",
                "requestBody": _BODY,
                "responses": {
                    "200": {"description": "the zip", "content": {"application/zip": {}}},
                    **_ERRORS,
                },
            }
        },
    }
)
