"""The web inbox: lanes, the message view, actions, bulk actions, search and the roles page."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, Flask, Response, request
from markupsafe import Markup, escape

from triage import dates
from triage.db.base import utcnow
from triage.processing.routing import format_duration

bp = Blueprint("inbox", __name__)

# Pages run only our own files; the iframe with a candidate's HTML sets its own, stricter policy.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "frame-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


def init_app(app: Flask) -> None:
    from triage.web.inbox import actions, bulk, lanes, message, queries, recover, roles  # noqa: F401 - routes register on import

    app.register_blueprint(bp)
    app.after_request(security_headers)
    app.add_template_filter(clock)
    app.add_template_filter(when)
    app.add_template_filter(ago)
    app.add_template_filter(day)
    app.add_template_filter(nl2br)
    app.jinja_env.globals["lane_names"] = {**dict(lanes.LANES), **queries.STATE_VIEWS}
    app.jinja_env.globals["state_views"] = queries.STATE_VIEWS
    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions


def security_headers(response: Response) -> Response:
    """Strict defaults on every response; a view that needs another policy sets its own first."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
    if request.endpoint and not request.endpoint.startswith("static") and response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")  # candidate data stays off disk caches
    return response


def clock(due_at: datetime | None, now: datetime | None = None) -> Markup:
    """The Today clock: "due in 3 h", or "overdue by 2 h" marked as such."""
    if due_at is None:
        return Markup("")
    now = now or utcnow()
    if due_at >= now:
        return Markup('<span class="due">due in {}</span>').format(format_duration(due_at - now))
    return Markup('<span class="overdue"><strong>overdue</strong> by {}</span>').format(format_duration(now - due_at))


def when(moment: datetime | None) -> str:
    """A date and time the same way on every machine (UTC, no locale)."""
    if moment is None:
        return "—"
    return f"{dates.moment(moment)} UTC"


def day(value: date | datetime | None) -> str:
    """A date as every page says it: '15 Dec 2026' (no locale)."""
    if value is None:
        return "—"
    return f"{dates.short_day(value)} {value.year}"


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    if moment is None:
        return "—"
    span = (now or utcnow()) - moment
    return f"{format_duration(span)} ago" if span.total_seconds() >= 0 else f"in {format_duration(-span)}"


def nl2br(text: str | None) -> Markup:
    return Markup("<br>\n").join(escape(text or "").split("\n"))
