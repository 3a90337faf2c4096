"""Hiring pages: roles (create, edit, close, reopen), applicants from the ATS, dated history, invitations."""

from __future__ import annotations

from flask import Blueprint, Flask, abort
from flask_login import current_user

from triage.accounts import users
from triage.db import Application, JobRole, User
from triage.hiring import roles
from triage.web.services import db

bp = Blueprint("hiring", __name__, url_prefix="/hiring")


def init_app(app: Flask) -> None:
    # The view modules import `bp` from here, so they can only be imported once it exists.
    from triage.web.hiring import applicants, candidates, invitations, overview_page, role_pages, senders  # noqa: F401

    app.register_blueprint(bp)
    app.register_blueprint(invitations.bp)


def user() -> User:
    return current_user.row


def role_or_404(role_id: int) -> JobRole:
    """The role, if it exists and the user may see it (one they may not see looks absent)."""
    role = db().get(JobRole, role_id)
    if role is None or not users.can_see_role(db(), user(), role_id):
        abort(404)
    return role


def application_or_404(application_id: int) -> Application:
    application = db().get(Application, application_id)
    if application is None or not users.can_see_role(db(), user(), application.role_id):
        abort(404)
    return application


def require_manager() -> User:
    """Admins and recruiters change roles and import applicants; line managers only look."""
    if not roles.may_manage(user()):
        abort(403)
    return user()
