"""The team overview: this week per role, the headline "N messages in, M needed you", and a small chart."""

from __future__ import annotations

from flask import render_template
from flask_login import login_required

from triage.accounts import users
from triage.db.base import utcnow
from triage.hiring import overview as week_overview
from triage.web.hiring import bp, user
from triage.web.services import db, settings


@bp.get("/overview")
@login_required
def overview():
    session = db()
    roles = users.roles_for(session, user())
    all_roles = users.visible_role_ids(session, user()) is None
    week = week_overview.build(session, roles, all_roles, utcnow())
    return render_template(
        "hiring/overview.html",
        week=week,
        chart=week_overview.chart(week),
        lanes=[lane.value for lane in week_overview.LANES],
        forward_to=settings().inbound_addresses,
    )
