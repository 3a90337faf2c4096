"""The logged-in home page and role pages (the full inbox comes with the web issue)."""
from __future__ import annotations

from flask import Blueprint, Flask, abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select

from triage import accounts
from triage.db import Application, JobRole, Lane, Message, MessageState
from triage.web.services import db

bp = Blueprint("home", __name__)

OPEN_STATES = (MessageState.triaged, MessageState.held)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def lane_counts(role_ids: set[int] | None) -> dict[str, int]:
    query = (select(Message.lane, func.count()).where(Message.state.in_(OPEN_STATES))
             .group_by(Message.lane))
    if role_ids is not None:
        query = query.where(Message.role_id.in_(role_ids))
    counts = {lane.value: 0 for lane in Lane}
    counts.update({str(lane): n for lane, n in db().execute(query) if lane})
    return counts


@bp.get("/")
@login_required
def index():
    user = current_user.row
    roles = accounts.roles_for(db(), user)
    return render_template("home.html", roles=roles,
                           counts=lane_counts(accounts.visible_role_ids(db(), user)))


@bp.get("/roles/<int:role_id>")
@login_required
def role(role_id: int):
    job = db().get(JobRole, role_id)
    if job is None or not accounts.can_see_role(db(), current_user.row, role_id):
        abort(404)  # a role you may not see looks like one that does not exist
    stages = dict(db().execute(select(Application.stage, func.count())
                               .where(Application.role_id == role_id).group_by(Application.stage)).all())
    return render_template("role.html", role=job, stages=stages, counts=lane_counts({role_id}))
