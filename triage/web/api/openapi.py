"""GET /api/v1/openapi.json: the API's contract, assembled from per-area fragments."""

from __future__ import annotations

from flask import jsonify

from triage.web.api import bp

DOCUMENT: dict = {
    "openapi": "3.1.0",
    "info": {"title": "Triage API", "version": "1"},
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error", "status"],
                "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
            },
            "Role": {
                "type": "object",
                "required": ["id", "reference", "title"],
                "properties": {
                    "id": {"type": "integer"},
                    "reference": {"type": "string"},
                    "title": {"type": "string"},
                    "open": {"type": "boolean"},
                    "next_update_on": {"type": ["string", "null"], "format": "date"},
                    "stages": {"type": "object", "additionalProperties": {"type": "integer"}},
                },
            },
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/roles": {
            "get": {
                "summary": "Roles the token's user may see",
                "responses": {
                    "200": {
                        "description": "roles",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "roles": {"type": "array", "items": {"$ref": "#/components/schemas/Role"}}
                                    },
                                }
                            }
                        },
                    },
                    "401": {"description": "no valid token"},
                },
            }
        },
        "/roles/{role_id}": {
            "get": {
                "summary": "One role with its pipeline by stage",
                "parameters": [{"name": "role_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {
                    "200": {
                        "description": "the role",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Role"}}},
                    },
                    "401": {"description": "no valid token"},
                    "404": {"description": "no such role, or not yours"},
                },
            }
        },
    },
}


def add_paths(paths: dict, schemas: dict | None = None) -> None:
    """Let another API module document its endpoints."""
    DOCUMENT["paths"].update(paths)
    DOCUMENT["components"]["schemas"].update(schemas or {})


@bp.get("/openapi.json")
def openapi():
    return jsonify(DOCUMENT)
