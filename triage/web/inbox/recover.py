"""Getting things back: undo an action from its flash message, retry a message whose processing
failed, and the choice of what follows archive, snooze or Send."""

from __future__ import annotations

from flask import abort, flash, request
from flask_login import login_required

from triage.db.base import utcnow
from triage.inbox import operations, undo
from triage.intake import accept as intake
from triage.web.inbox import bp
from triage.web.inbox.actions import go_back, plural
from triage.web.inbox.common import message_or_404, user
from triage.web.services import db, redis


@bp.post("/undo/<int:event_id>")
@login_required
def undo_action(event_id: int):
    """Put back what one of your archive, snooze, move or bulk actions changed."""
    count = undo.undo(db(), event_id, user(), utcnow())
    db().commit()
    flash(f"Undone: {plural(count)} back as {'it was' if count == 1 else 'they were'}.")
    return go_back()


@bp.post("/messages/<int:message_id>/retry")
@login_required
def retry(message_id: int):
    """An admin sends a message whose processing failed through the pipeline again."""
    if not user().is_admin:
        abort(403)
    message = message_or_404(message_id)
    operations.retry_failed(db(), message, user())
    db().commit()
    if intake.enqueue(redis(), [message.id]):
        flash("Retrying: the message is being processed again.")
    else:
        flash("The queue is unavailable; the sweeper will process the message when it is back.")
    return go_back()


@bp.post("/preferences/advance")
@login_required
def advance_preference():
    """Choose whether archive, snooze and Send open the next conversation (on) or stay on this one."""
    user().advance_after_action = request.form.get("advance") == "1"
    db().commit()
    flash(
        "After archive, snooze or Send: "
        + ("the next conversation opens." if user().advance_after_action else "you stay.")
    )
    return go_back()
