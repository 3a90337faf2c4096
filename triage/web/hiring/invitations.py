"""Admins invite recruiters and line managers: each gets an email with a link to set their own password.

The email goes through the outbox like every email we send (a row first, committed, then a job);
an admin sees who has not used their link yet and sends a new one when it has expired.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from triage.accounts import invitations
from triage.db import JobRole, Team, User, UserRole
from triage.db.base import utcnow
from triage.hiring import people
from triage.outbound import dispatch
from triage.web import params
from triage.web.auth import admin_required
from triage.web.services import db, redis, settings

log = logging.getLogger(__name__)

bp = Blueprint("invitations", __name__, url_prefix="/admin/invitations")


def _send(user: User, token: str) -> None:
    """Queue the email carrying `token`'s link, commit, then hand it to a worker."""
    link = url_for("auth.accept_invitation", token=token, _external=True)
    mail = people.invitation_mail(settings(), user, link, current_user.row)
    db().add(mail)
    db().commit()
    dispatch.nudge_delivery(redis(), [mail.id])  # Redis down: the outbox sweep sends it
    log.info("invitation for user %s queued as outbound %s", user.id, mail.id)


@bp.get("")
@admin_required
def index():
    session = db()
    latest = invitations.latest(session)
    invited = list(session.scalars(select(User).where(User.id.in_(list(latest))).order_by(User.created_at.desc())))
    now = utcnow()
    return render_template(
        "auth/invitations.html",
        rows=[(u, latest[u.id], invitations.status(latest[u.id], now)) for u in invited],
        teams=list(session.scalars(select(Team).order_by(Team.name))),
        roles=list(session.scalars(select(JobRole).order_by(JobRole.reference))),
        kinds=[k.value for k in UserRole],
        days=invitations.LINK_DAYS,
    )


@bp.post("")
@admin_required
def invite():
    """Make the account without a password and mail the person their link."""
    form = request.form
    user, token = people.invite(
        db(),
        settings().secret_key,
        params.text(form.get("email"), "email", default="", longest=320),
        params.text(form.get("name"), "name", default="", longest=200),
        params.choice(form.get("kind"), "kind", [k.value for k in UserRole], default="recruiter"),
        current_user.row.id,
        team_id=params.integer(form.get("team_id"), "team"),
        role_ids=[params.integer(r, "role") for r in form.getlist("role_ids") if r],
    )
    _send(user, token)
    flash(f"Invitation sent to {user.email}: the link in it works once, for {invitations.LINK_DAYS} days.")
    return redirect(url_for("invitations.index"))


@bp.post(f"/<{params.ID}:user_id>/resend")
@admin_required
def resend(user_id: int):
    """A new link (the earlier ones stop working), for someone whose link expired or got lost."""
    user = db().get(User, user_id)
    if user is None:
        abort(404)
    token = people.resend(db(), settings().secret_key, user, current_user.row.id)
    _send(user, token)
    flash(f"A new invitation was sent to {user.email}; earlier links no longer work.")
    return redirect(url_for("invitations.index"))
