"""Confirming a state change that mail proposed but could not make alone (processing/authority.py).

Only the role's recruiter (its owner) or a line manager or recruiter on the role's team may confirm:
the change speaks for the candidate, so it is theirs to check with the candidate first.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, abort, flash, redirect, url_for
from flask_login import login_required
from sqlalchemy import select

from triage.db import JobRole, Message, User, role_members
from triage.processing import authority
from triage.web.inbox.common import message_or_404, user
from triage.web.services import db

log = logging.getLogger(__name__)

bp = Blueprint("proposals", __name__)


def may_confirm(session, person: User, message: Message) -> bool:
    """The owner of the message's role, or a member of it (a line manager or recruiter on the role)."""
    if message.role_id is None:
        return False
    role = session.get(JobRole, message.role_id)
    if role is not None and role.owner_id == person.id:
        return True
    member = session.scalar(
        select(role_members.c.user_id).where(
            role_members.c.role_id == message.role_id, role_members.c.user_id == person.id
        )
    )
    return member is not None


@bp.post("/messages/<int:message_id>/proposal/confirm")
@login_required
def confirm(message_id: int):
    message = message_or_404(message_id)
    if not may_confirm(db(), user(), message):
        abort(403)
    application = authority.confirm(db(), message, user())
    db().commit()
    log.info("user %s confirmed the withdrawal proposed by message %s", user().id, message.id)
    flash(f"Withdrawal confirmed: the application is now {application.stage.value}.")
    return redirect(url_for("inbox.show", message_id=message.id))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
