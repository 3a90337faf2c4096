"""The inbox page: lane counts (all roles and per role), one lane's messages, search and filters."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import render_template, url_for
from flask_login import login_required
from markupsafe import Markup, escape

from triage.accounts import users
from triage.db import AppStage, JobRole
from triage.db.base import utcnow
from triage.inbox import operations
from triage.inbox.operations import BULK_ACTIONS, INTENTS
from triage.web.inbox import bp
from triage.web.inbox.common import IdUrl, filters_from_request, is_htmx, user, visible
from triage.web.inbox.listing import list_messages
from triage.web.inbox.queries import LANES, Counts, Filters, failed_messages, lane_counts
from triage.web.services import db, settings

__all__ = ["index", "LANES", "row_links"]

STAGES = tuple(s.value for s in AppStage)


def row_links() -> dict:
    """What the message rows link to, resolved once per page rather than per row."""
    return {"show_url": IdUrl("inbox.show"), "archive_url": IdUrl("inbox.archive")}


def role_rows(roles: list[JobRole], counts: Counts, filters: Filters) -> Markup:
    """The sidebar's rows: each role's open messages per lane, every count a link to that lane.

    Built here rather than in Jinja: 50 roles × 5 lanes is 250 links, and a template spends
    several milliseconds escaping the same few values for each of them.
    """
    inbox = url_for("home.index")
    query = urlencode(filters.args(role=None, page=1, q=None))  # a role link keeps the lane and filters
    role_link = escape(f"{inbox}?{query}&role=" if query else f"{inbox}?role=")
    inbox = escape(inbox)
    labels = [(key, escape(label)) for key, label in LANES]
    rows = []
    for role in roles:
        ref, title, c = escape(role.reference), escape(role.title), counts.for_role(role.id)
        cells = "".join(
            f'<td><a href="{inbox}?role={role.id}&amp;lane={key}" aria-label="{ref} {label}: '
            f'{c[key]}">{c[key]}</a></td>'
            for key, label in labels
        )
        current = ' class="current"' if filters.role_id == role.id else ""
        rows.append(
            f'<tr{current}><th scope="row"><a href="{role_link}{role.id}" title="{title}">{ref}</a></th>{cells}</tr>'
        )
    return Markup("\n".join(rows))


@bp.get("/inbox")
@login_required
def index():
    """Show a lane (or search results) with the counts; "/" is this page too."""
    filters = filters_from_request()
    session = db()
    now = utcnow()
    if operations.wake_snoozed(session, now):
        session.commit()
    roles = users.roles_for(session, user())
    counts = lane_counts(session, visible())
    messages, more = list_messages(session, filters, visible())
    show_failed = filters.lane == "review" and not filters.searching and filters.page == 1 and user().is_admin
    failed = failed_messages(session, visible()) if show_failed else []
    context = dict(
        filters=filters,
        roles=roles,
        roles_by_id={r.id: r for r in roles},
        counts=counts,
        messages=messages,
        more=more,
        failed=failed,
        forward_to=settings().inbound_addresses,
        now=now,
        lanes=LANES,
        intents=INTENTS,
        bulk_actions=BULK_ACTIONS,
        stages=STAGES,
        **row_links(),
    )
    if is_htmx():
        # The lane nav sits outside #results: refresh it (and its "current" mark) out of band.
        return render_template("inbox/_results.html", oob_nav=True, **context)
    return render_template("inbox/index.html", role_rows=role_rows(roles, counts, filters), **context)
