"""The message page's sender actions (templates/inbox/_sender_actions.html): add an unknown sender as an
applicant, or merge their address into an existing candidate ("same person as ...")."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import login_required

from triage.accounts import users
from triage.db import AppStage, Candidate, Message
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

    def hiring_same_person_candidates() -> list[Candidate]:
        # The message page's own search box (?same_as=...) feeds this, so the page's view needs no change.
        # A search box, not a form field to refuse: an odd query just finds nobody.
        query = (request.args.get("same_as") or "")[:200].replace("\x00", "")
        return senders.candidates_like(db(), query, users.visible_role_ids(db(), user()))

    return {
        "hiring_open_roles": hiring_open_roles,
        "hiring_may_manage": hiring_may_manage,
        "hiring_same_person_candidates": hiring_same_person_candidates,
    }


def _message_or_404(message_id: int) -> Message:
    # Like the inbox's: a message of a role the user may not see looks absent.
    message = db().get(Message, message_id)
    if message is None or not users.can_see_role(db(), user(), message.role_id):
        abort(404)
    return message


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


@bp.post(f"/messages/<{params.ID}:message_id>/same-person")
@login_required
def same_person(message_id: int):
    """Merge the sender's address into a candidate of a role the user may see (line managers: their roles')."""
    message = _message_or_404(message_id)
    candidate_id = params.integer(request.form.get("candidate_id"), "candidate")
    if candidate_id is None:
        raise BadInput("choose the candidate this sender is")
    candidate = db().get(Candidate, candidate_id)
    if candidate is None or not senders.may_merge_into(db(), candidate, users.visible_role_ids(db(), user())):
        abort(404)  # a candidate of a role you may not see looks like one that does not exist
    ids = senders.same_person(db(), message, candidate, user().id, utcnow())
    db().commit()
    queued = accept.enqueue(redis(), ids)
    flash(
        f"The sender's address is now one of candidate #{candidate.id}'s; {len(ids)} message(s) are being routed again"
        + ("." if queued else " (the queue is down: the sweeper will route them shortly).")
    )
    return redirect(url_for("inbox.show", message_id=message.id))
