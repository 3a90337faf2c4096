"""Helpers every inbox view shares: who may see what, the filters in the URL, htmx detection."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from flask import abort, g, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from triage.accounts import users
from triage.db import Message, User
from triage.errors import BadInput
from triage.inbox.operations import INTENTS
from triage.web import params
from triage.web.inbox.queries import LANES, PAGE_SIZE, STATE_VIEWS, Filters
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


def filters_from_request() -> Filters:
    """Read lane, role, intent, q, since, until and page from the query string (400 when invalid)."""
    return _filters(request.args)


def filters_from_url(url: str | None) -> Filters | None:
    """The filters of the inbox page an htmx request came from (its HX-Current-URL), if any."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.path not in (url_for("home.index"), url_for("inbox.index")):  # "/" and its alias "/inbox"
        return None
    try:
        return _filters(MultiDict(parse_qsl(parts.query)))
    except (BadInput, HTTPException):
        return None  # a hand-edited address: no lane to highlight


def _filters(args: MultiDict) -> Filters:
    role_id = params.integer(args.get("role"), "role")
    if role_id is not None and (roles := visible()) is not None and role_id not in roles:
        abort(404)
    return Filters(
        lane=params.choice(args.get("lane"), "lane", (*LANE_KEYS, *STATE_VIEWS), default="today"),
        role_id=role_id,
        intent=params.choice(args.get("intent"), "intent", INTENTS),
        q=args.get("q", "").replace("\x00", " ").strip()[:200],  # PostgreSQL takes no NUL in a string
        since=params.day(args.get("since"), "since"),
        until=params.day(args.get("until"), "until"),
        page=params.integer(args.get("page"), "page", default=1, high=100_000 // PAGE_SIZE),
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
