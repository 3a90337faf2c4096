"""The JSON API under /api/v1: bearer tokens, no cookies, no CSRF."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from functools import wraps

from flask import Blueprint, Flask, current_app, g, jsonify, request
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


# A token's user is remembered in-process this long: a revoked token or a deactivated user is
# refused at most this late, and the hot intake path skips a query per request.
TOKEN_TTL = 10.0
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is informational; a write per request is not


class TokenCache:
    """token hash -> (detached User, monotonic expiry), per app and process; only hits are kept."""

    def __init__(self, ttl: float = TOKEN_TTL) -> None:
        self.ttl = ttl
        self.entries: dict[str, tuple[User, float]] = {}
        self.lock = threading.Lock()

    def get(self, digest: str) -> User | None:
        entry = self.entries.get(digest)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def put(self, digest: str, user: User) -> None:
        with self.lock:
            if len(self.entries) > 10_000:  # many distinct tokens: start over rather than grow
                self.entries.clear()
            self.entries[digest] = (user, time.monotonic() + self.ttl)


def _cache() -> TokenCache:
    cache = current_app.extensions.get("triage.token_cache")
    if cache is None:
        cache = current_app.extensions.setdefault("triage.token_cache", TokenCache())
    return cache


def user_for_token(token: str) -> User | None:
    """The active user of an unrevoked token, from the cache or the database (touching last_used_at)."""
    digest = hash_token(token)
    cache = _cache()
    cached = cache.get(digest)
    if cached is not None:
        return db().merge(cached, load=False)  # attach a copy to this request's session, no query
    session = db()
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None)))
    if row is None or not row.user.active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
        row.last_used_at = now
        session.commit()
    user = row.user
    session.expunge(user)
    cache.put(digest, user)
    return session.merge(user, load=False)


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
