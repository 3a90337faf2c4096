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


# What a person reads on an error page: a heading in words, and what to do next.
PAGES = {
    400: ("That did not work", "Something in the request was not right; nothing was changed."),
    403: ("Not yours to open", "Your account may not see this. Ask an admin if you need it."),
    404: ("Nothing here", "This page or message does not exist, or it belongs to a role you do not see."),
    405: ("That did not work", "This page cannot be used that way; go back and use its buttons."),
    413: ("Too large", "That upload is larger than Triage accepts."),
    429: ("Slow down", "Too many tries in a short time; wait a minute and try again."),
    500: ("Something went wrong on our side", "The problem is logged; nothing you did caused it. Try again shortly."),
    503: ("Triage is unavailable", "A part of Triage is down for the moment; try again shortly."),
}


def _reply(status: int, message: str | None):
    heading, advice = PAGES.get(status, PAGES[500] if status >= 500 else PAGES[400])
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        response = jsonify(error=message or advice, status=status)
    else:
        response = render_template("error.html", status=status, heading=heading, message=message, advice=advice)
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
        # Werkzeug's stock sentence ("The requested URL was not found on the server…") is replaced
        # by our own words; a description a view chose itself is kept.
        stock = exc.description == type(exc).description
        return _reply(exc.code or 500, None if stock else exc.description)
