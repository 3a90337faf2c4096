"""The JSON API under /api/v1: bearer tokens, no cookies, no CSRF."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from functools import wraps

from flask import Blueprint, Flask, current_app, g, jsonify, request
from sqlalchemy import select

from triage.accounts import credentials
from triage.accounts.passwords import hash_token
from triage.db import ApiToken, User
from triage.db.base import utcnow
from triage.errors import Forbidden
from triage.web.auth import csrf
from triage.web.services import db, redis

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
# Belt and braces: a remembered token is asked about again at least this often, in case a
# revocation could not move the epoch (Redis down at that moment).
RECHECK_AFTER = 60.0


class KnownTokens:
    """token hash -> (detached User, credentials epoch when read, monotonic time read), per process.

    Trusted only while the credentials epoch (triage.accounts.credentials) has not moved: a
    revocation or deactivation anywhere moves it, and the next request here asks the database."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[User, int, float]] = {}
        self.lock = threading.Lock()

    def get(self, digest: str, epoch: int | None) -> User | None:
        entry = self.entries.get(digest)
        if entry is None or epoch is None or entry[1] != epoch or time.monotonic() - entry[2] > RECHECK_AFTER:
            return None
        return entry[0]

    def put(self, digest: str, user: User, epoch: int | None) -> None:
        if epoch is None:
            return
        with self.lock:
            if len(self.entries) > 10_000:  # many distinct tokens: start over rather than grow
                self.entries.clear()
            self.entries[digest] = (user, epoch, time.monotonic())


def _known() -> KnownTokens:
    known = current_app.extensions.get("triage.known_tokens")
    if known is None:
        known = current_app.extensions.setdefault("triage.known_tokens", KnownTokens())
    return known


def user_for_token(token: str) -> User | None:
    """The active user of an unrevoked token (touching last_used_at at most once a minute)."""
    digest = hash_token(token)
    epoch = credentials.epoch(redis())  # read before the database: a change after it moves it again
    user = _known().get(digest, epoch)
    if user is not None:
        return db().merge(user, load=False)  # attach a copy to this request's session, no query
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
    _known().put(digest, user, epoch)
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
