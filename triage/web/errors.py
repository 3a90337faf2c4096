"""The one place that turns TriageError into HTTP replies (JSON for the API, a page otherwise)."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from triage.errors import BadInput, Forbidden, NotFound, TooLarge, TriageError, Unavailable

log = logging.getLogger(__name__)

STATUS = {BadInput: 400, Forbidden: 403, NotFound: 404, TooLarge: 413, Unavailable: 503}


def status_for(exc: TriageError) -> int:
    for kind, status in STATUS.items():
        if isinstance(exc, kind):
            return status
    return 500


def _reply(status: int, message: str):
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        response = jsonify(error=message, status=status)
    else:
        response = render_template("error.html", status=status, message=message)
    return response, status


def init_app(app: Flask) -> None:
    @app.errorhandler(TriageError)
    def triage_error(exc: TriageError):
        return _reply(status_for(exc), str(exc))

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return _reply(400, f"the form expired or was not sent from this site ({exc.description})")

    @app.errorhandler(OperationalError)
    def database_down(exc: OperationalError):
        log.error("database unavailable: %s", type(exc.orig).__name__)
        return _reply(503, "the database is unavailable; retry shortly")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _reply(exc.code or 500, exc.description or exc.name)
