"""Admin pages: the audit trail (who did what, when) and the list of users."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, request
from sqlalchemy import func, select

from triage.db import AuditEvent, User
from triage.web import params
from triage.web.auth import admin_required
from triage.web.services import db

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 100


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/audit")
@admin_required
def audit():
    """The audit trail, newest first, filterable by action, user and target."""
    action = request.args.get("action", "").strip()
    user_id = request.args.get("user", "")
    target = request.args.get("target", "").strip()
    page = params.integer(request.args.get("page"), "page", default=1)
    user_id = params.integer(user_id, "user")
    query = select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.user_id)
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if user_id:
        query = query.where(AuditEvent.user_id == int(user_id))
    if target:
        kind, _, target_id = target.partition(":")
        query = query.where(AuditEvent.target_type == kind)
        if target_id:
            query = query.where(AuditEvent.target_id == params.integer(target_id, "target id"))
    rows = list(
        db().execute(
            query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    actions = list(db().scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
    users = list(db().scalars(select(User).order_by(User.name)))
    return render_template(
        "admin/audit.html",
        rows=rows[:PAGE_SIZE],
        more=len(rows) > PAGE_SIZE,
        page=page,
        action=action,
        user_id=user_id,
        target=target,
        actions=actions,
        users=users,
    )


@bp.get("/users")
@admin_required
def users():
    rows = list(db().scalars(select(User).order_by(User.role, User.name)))
    actions = dict(db().execute(select(AuditEvent.user_id, func.count()).group_by(AuditEvent.user_id)).all())
    return render_template("admin/users.html", users=rows, actions=actions)
