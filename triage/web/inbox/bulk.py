"""Many messages at once: archive, move, change stage, or leave them to the next batch update."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import login_required

from triage.db.base import utcnow
from triage.errors import BadInput
from triage.inbox import conversations, operations, undo
from triage.web import params
from triage.web.inbox import bp
from triage.web.inbox.common import LANE_KEYS, user, visible
from triage.web.services import db

MAX_BULK = 500
_WORDS = {
    "archive": "Archived",
    "move": "Moved",
    "stage": "Changed the stage of",
    "hold": "Left to the next batch update:",
}


@bp.post("/messages/bulk")
@login_required
def bulk():
    ids = params.identifiers(request.form.getlist("ids"), "ids")
    if not ids:
        # A click with nothing ticked is a slip, not bad input: say so on the page it came from.
        flash("Nothing selected: tick the messages first (x selects the current one), then Apply to selected.")
        return _back()
    if len(ids) > MAX_BULK:
        raise BadInput(f"at most {MAX_BULK} messages at once")
    action = request.form.get("action", "")
    lane = request.form.get("lane") or None
    if lane and lane not in LANE_KEYS:
        raise BadInput(f"unknown lane {lane!r}")
    if action == "move" and lane == "held":
        action = "hold"
    chosen = operations.visible_messages(db(), ids, visible())
    messages = conversations.expand(db(), chosen)  # a row stands for its conversation
    before = undo.snapshot(messages)
    result = operations.bulk(
        db(),
        messages,
        user(),
        action,
        utcnow(),
        lane=lane,
        intent=request.form.get("intent") or None,
        stage=request.form.get("stage") or None,
    )
    event = undo.remember(db(), user(), f"bulk.{action}", before)
    db().commit()
    skipped = result["skipped"] + len(ids) - len(chosen)
    note = f" ({skipped} skipped: no role, no application, or not yours)" if skipped else ""
    flash(f"{_WORDS[action]} {result['done']} message{'s' if result['done'] != 1 else ''}{note}.", f"undo:{event.id}")
    return _back()


def _back():
    """The page the form came from (local only), else the inbox."""
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("home.index")
    return redirect(target)
