"""Helpers every inbox view shares: who may see what, the filters in the URL, htmx detection."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl, urlsplit

from flask import abort, g, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from triage.accounts import users
from triage.db import Message, User
from triage.inbox.operations import INTENTS
from triage.web.inbox.queries import LANES, PAGE_SIZE, Filters
from triage.web.services import db

LANE_KEYS = tuple(lane for lane, _ in LANES)


def user() -> User:
    return current_user.row


def visible() -> set[int] | None:
    """The role ids the current user may see (None: all), computed once per request."""
    if "visible_roles" not in g:
        g.visible_roles = users.visible_role_ids(db(), user())
    return g.visible_roles


def may_see(message: Message) -> bool:
    roles = visible()
    return roles is None or message.role_id in roles


def message_or_404(message_id: int, options: tuple = ()) -> Message:
    """The message, if it exists and the user may see its role; 404 either way otherwise."""
    message = db().get(Message, message_id, options=options)
    if message is None or not may_see(message):
        abort(404)  # a message you may not see looks like one that does not exist
    return message


def _date(args: MultiDict, name: str) -> date | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400, f"{name} must be a date like 2026-11-25")


def filters_from_request() -> Filters:
    """Read lane, role, intent, q, since, until and page from the query string (400 when invalid)."""
    return _filters(request.args)


def filters_from_url(url: str | None) -> Filters | None:
    """The filters of the inbox page an htmx request came from (its HX-Current-URL), if any."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.path != url_for("home.index"):
        return None
    try:
        return _filters(MultiDict(parse_qsl(parts.query)))
    except HTTPException:
        return None  # a hand-edited address: no lane to highlight


def _filters(args: MultiDict) -> Filters:
    lane = args.get("lane", "today")
    if lane not in LANE_KEYS:
        abort(400, f"unknown lane {lane!r}")
    intent = args.get("intent") or None
    if intent and intent not in INTENTS:
        abort(400, f"unknown intent {intent!r}")
    role_id = args.get("role") or None
    if role_id is not None:
        if not role_id.isdigit():
            abort(400, "role must be a number")
        role_id = int(role_id)
        roles = visible()
        if roles is not None and role_id not in roles:
            abort(404)
    page = args.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= 100_000 // PAGE_SIZE:
        abort(400, "page out of range")
    return Filters(
        lane=lane,
        role_id=role_id,
        intent=intent,
        q=args.get("q", "").strip()[:200],
        since=_date(args, "since"),
        until=_date(args, "until"),
        page=int(page),
    )


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


class IdUrl:
    """url_for(endpoint, message_id=N) resolved once, then filled in by concatenation.

    A 50-row list needs two links per row, and url_for costs tens of microseconds a call.
    """

    _MARK = "987654321"

    def __init__(self, endpoint: str) -> None:
        self.head, _, self.tail = url_for(endpoint, message_id=int(self._MARK)).partition(self._MARK)

    def __call__(self, message_id: int) -> str:
        return f"{self.head}{message_id}{self.tail}"
