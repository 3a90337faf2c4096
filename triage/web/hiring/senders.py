"""The message page's sender actions (templates/inbox/_sender_actions.html): add an unknown sender as an applicant."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import login_required

from triage.accounts import users
from triage.db import AppStage, Message
from triage.db.base import utcnow
from triage.errors import BadInput
from triage.hiring import roles as role_rules
from triage.hiring import senders
from triage.intake import accept
from triage.web import params
from triage.web.hiring import bp, require_manager, role_or_404, user
from triage.web.services import db, redis


@bp.app_context_processor
def _open_roles():
    # A function, not a list: only the message page's partial calls it, so other pages pay nothing.
    def hiring_open_roles():
        return [r for r in users.roles_for(db(), user()) if r.is_open]

    def hiring_may_manage() -> bool:
        return role_rules.may_manage(user())

    return {"hiring_open_roles": hiring_open_roles, "hiring_may_manage": hiring_may_manage}


@bp.post(f"/messages/<{params.ID}:message_id>/add-applicant")
@login_required
def add_applicant(message_id: int):
    actor = require_manager()
    message = db().get(Message, message_id)
    if message is None:
        abort(404)
    role_id = params.integer(request.form.get("role_id"), "role")
    if role_id is None:
        raise BadInput("choose a role")
    role = role_or_404(role_id)
    stage = params.choice(request.form.get("stage"), "stage", [s.value for s in AppStage], default="applied")
    ids = senders.add_as_applicant(db(), message, role, stage, actor.id, utcnow())
    db().commit()
    queued = accept.enqueue(redis(), ids)
    flash(
        f"Added as an applicant to {role.reference}; {len(ids)} message(s) are being routed again"
        + ("." if queued else " (the queue is down: the sweeper will route them shortly).")
    )
    return redirect(url_for("inbox.show", message_id=message.id))
