"""The JSON API under /api/v1: bearer tokens, no cookies, no CSRF."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import Blueprint, Flask, g, jsonify, request
from sqlalchemy import select

from triage.accounts.passwords import hash_token
from triage.db import ApiToken, User
from triage.db.base import utcnow
from triage.errors import Forbidden
from triage.web.auth import csrf
from triage.web.services import db

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class Unauthorized(Forbidden):
    pass


def init_app(app: Flask) -> None:
    # The area modules import `bp` from here, so they can only be imported once it exists.
    from triage.web.api import applications, batches, candidates, messages, openapi, outbox, roles, team  # noqa: F401

    csrf.exempt(bp)
    app.register_blueprint(bp)

    @app.errorhandler(Unauthorized)
    def unauthorized(exc: Unauthorized):
        return jsonify(error=str(exc), status=401), 401, {"WWW-Authenticate": 'Bearer realm="triage"'}


LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is informational; a write per request is not


def user_for_token(token: str) -> User | None:
    """The active user of an unrevoked token (touching last_used_at at most once a minute).

    One indexed query per request, on purpose: revoking a token or deactivating its user takes
    effect on the very next request in every web process (an in-process cache could not know)."""
    session = db()
    found = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None), User.active.is_(True))
    ).first()
    if found is None:
        return None
    row, user = found
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
        row.last_used_at = now
        session.commit()
    return user


def token_required(view):
    """Authenticate `Authorization: Bearer <token>`; the user is in g.api_user."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        user = user_for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if user is None:
            raise Unauthorized("a valid bearer token is required")
        g.api_user = user
        return view(*args, **kwargs)

    return wrapper


def api_user() -> User:
    return g.api_user
