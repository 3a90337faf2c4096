"""The JSON API under /api/v1: bearer tokens, no cookies, no CSRF."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, Flask, g, request

from triage import accounts
from triage.db import User
from triage.errors import Forbidden
from triage.web.services import db

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class Unauthorized(Forbidden):
    pass


def init_app(app: Flask) -> None:
    import importlib

    from triage.web.api import openapi, roles  # noqa: F401 - routes register on import
    for area in ("messages", "batches", "outbox", "applications"):
        try:
            importlib.import_module(f"triage.web.api.{area}")
        except ModuleNotFoundError as exc:
            if exc.name != f"triage.web.api.{area}":
                raise
    from triage.web.auth import csrf

    csrf.exempt(bp)
    app.register_blueprint(bp)

    @app.errorhandler(Unauthorized)
    def unauthorized(exc: Unauthorized):
        from flask import jsonify
        return jsonify(error=str(exc), status=401), 401, {"WWW-Authenticate": 'Bearer realm="triage"'}


def token_required(view):
    """Authenticate `Authorization: Bearer <token>`; the user is in g.api_user."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        user = accounts.user_for_token(db(), token.strip()) if scheme.lower() == "bearer" and token else None
        if user is None:
            raise Unauthorized("a valid bearer token is required")
        db().commit()  # last_used_at
        g.api_user = user
        return view(*args, **kwargs)
    return wrapper


def api_user() -> User:
    return g.api_user
