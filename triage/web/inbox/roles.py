"""The roles page: each role's pipeline by stage, lanes, chasers this week, the next batch update."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import login_required
from sqlalchemy import select

from triage.accounts import users
from triage.db import AppStage, Batch, BatchState, JobRole
from triage.db.base import utcnow
from triage.web.inbox import bp
from triage.web.inbox.common import user, visible
from triage.web.inbox.queries import LANES, lane_counts, role_overview
from triage.web.services import db


def _next_batches(role_ids: list[int]) -> dict[int, Batch]:
    """The earliest draft or scheduled batch update that covers each role."""
    found: dict[int, Batch] = {}
    pending = db().scalars(
        select(Batch).where(Batch.state.in_((BatchState.draft, BatchState.scheduled))).order_by(Batch.next_update_on)
    )
    wanted = set(role_ids)
    for batch in pending:
        for rid in batch.role_ids or []:
            if rid in wanted and rid not in found:
                found[rid] = batch
    return found


@bp.get("/roles")
@login_required
def roles():
    session = db()
    rows = users.roles_for(session, user())
    ids = [r.id for r in rows]
    return render_template(
        "inbox/roles.html",
        roles=rows,
        overview=role_overview(session, ids, utcnow()),
        counts=lane_counts(session, visible()),
        batches=_next_batches(ids),
        lanes=LANES,
        stages=[s.value for s in AppStage],
    )


def role(role_id: int):
    """One role's page (endpoint home.role, kept for links)."""
    session = db()
    job = session.get(JobRole, role_id)
    if job is None or not users.can_see_role(session, user(), role_id):
        abort(404)  # a role you may not see looks like one that does not exist
    return render_template(
        "inbox/role.html",
        role=job,
        overview=role_overview(session, [role_id], utcnow())[role_id],
        counts=lane_counts(session, {role_id}),
        batch=_next_batches([role_id]).get(role_id),
        lanes=LANES,
        stages=[s.value for s in AppStage],
    )
