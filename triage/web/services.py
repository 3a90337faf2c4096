"""What a request needs from the outside: settings, the database session, Redis."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, g
from redis import Redis
from sqlalchemy.orm import Session

from triage.accounts import credentials
from triage.config import Settings
from triage.db import Database
from triage.runtime import queues


def init_app(app: Flask, settings: Settings) -> None:
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        MAX_CONTENT_LENGTH=settings.max_message_bytes + 1024 * 1024,  # multipart overhead
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.https,
        REMEMBER_COOKIE_SECURE=settings.https,
        # Idle expiry: the session lives 12 h past the last request.
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_idle_hours),
        SESSION_REFRESH_EACH_REQUEST=True,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    app.extensions["triage.settings"] = settings
    database = app.extensions["triage.database"] = Database(settings.database_url)
    # A commit that revoked a token or deactivated a user moves the credentials epoch, so every web
    # process re-checks the tokens it remembers (triage.accounts.credentials).
    announcer = _Announcer(settings)
    database.info[credentials.NOTIFY] = announcer
    app.teardown_appcontext(_close_session)


class _Announcer:
    """Moves the credentials epoch in this app's Redis (connected on first use)."""

    def __init__(self, settings: Settings) -> None:
        self.settings, self.client = settings, None

    def __call__(self) -> None:
        if self.client is None:
            self.client = queues.connect(self.settings)
        credentials.bump(self.client)


def settings() -> Settings:
    return current_app.extensions["triage.settings"]


def database() -> Database:
    return current_app.extensions["triage.database"]


def db() -> Session:
    """The request's session, opened on first use and closed when the request ends."""
    if "db" not in g:
        g.db = database().sessions()
    return g.db


def redis() -> Redis:
    client = current_app.extensions.get("triage.redis")
    if client is None:
        client = current_app.extensions["triage.redis"] = queues.connect(settings())
    return client


def _close_session(_exc) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()
