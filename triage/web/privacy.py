"""Admin pages for candidates' data: find a candidate, export their data, erase it (with a
confirmation), and preview what the next retention run will erase."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from triage.db import Candidate, Team, audit
from triage.db.base import utcnow
from triage.errors import BadInput, NotFound
from triage.privacy import erase, export, retention
from triage.processing.policy import TeamPolicy
from triage.web import params
from triage.web.auth import admin_required
from triage.web.services import db, settings

bp = Blueprint("privacy", __name__, url_prefix="/admin/privacy")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def _candidate(candidate_id: int) -> Candidate:
    candidate = db().get(Candidate, candidate_id)
    if candidate is None or candidate.email.endswith("@" + erase.ERASED_DOMAIN):
        raise NotFound(f"no candidate {candidate_id}")
    return candidate


@bp.get("/")
@admin_required
def index():
    """Find a candidate by address; show what Triage holds about them."""
    email = params.text(request.args.get("email"), "email", default="", longest=320)
    found = None
    if email:
        try:
            found = export.overview(db(), erase.find(db(), email))
        except NotFound:
            flash("No candidate has that address.")
    return render_template("privacy/index.html", email=email, found=found)


@bp.get("/candidates/<int:candidate_id>/export")
@admin_required
def export_zip(candidate_id: int):
    candidate = _candidate(candidate_id)
    data = export.build(db(), candidate, utcnow())
    audit.record(db(), current_user.id, "candidate.export", "candidate", candidate.id, bytes=len(data))
    db().commit()
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="candidate-{candidate.id}.zip"'},
    )


@bp.get("/candidates/<int:candidate_id>/erase")
@admin_required
def confirm_erase(candidate_id: int):
    """The confirmation: what will go, and the address to type again."""
    return render_template("privacy/erase.html", found=export.overview(db(), _candidate(candidate_id)))


@bp.post("/candidates/<int:candidate_id>/erase")
@admin_required
def do_erase(candidate_id: int):
    candidate = _candidate(candidate_id)
    typed = params.text(request.form.get("confirm"), "confirm", default="", longest=320)
    if erase.normalize(typed) != candidate.email:
        raise BadInput("type the candidate's address exactly to confirm the erasure")
    erased = erase.erase(db(), settings(), [candidate.id], user_id=current_user.id, reason="request", now=utcnow())
    db().commit()
    erase.remove_files(db(), settings(), erased)
    counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(erased.counts.items()) if n)
    flash(f"Candidate {candidate.id} erased: {counts or 'nothing else was held'}.")
    return redirect(url_for("admin.audit", action="candidate.erase"))


@bp.get("/retention")
@admin_required
def retention_preview():
    """Each team's retention settings and what the next daily run will erase."""
    teams = [(t.name, TeamPolicy.from_json(t.policy)) for t in db().scalars(select(Team).order_by(Team.name))]
    items = retention.due(db(), utcnow())
    people = dict(
        db()
        .execute(select(Candidate.id, Candidate.email).where(Candidate.id.in_([i.candidate_id for i in items])))
        .all()
    )
    return render_template("privacy/retention.html", teams=teams, default=TeamPolicy(), items=items, people=people)
