"""Admin page for the intent model: which one is active, its scores, the corrections, retrain now."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy import select

from triage.classifier import corrections, retrain, store
from triage.db import AuditEvent, audit
from triage.web.auth import admin_required
from triage.web.services import db, redis, settings

log = logging.getLogger(__name__)
bp = Blueprint("models_admin", __name__, url_prefix="/admin/model")
DECISIONS = ("model.activate", "model.reject")
PAGE = 50  # corrections per page


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def _job_state() -> str | None:
    try:
        job = retrain.pending_job(redis())
    except RedisError:
        return "unknown (the queue is unavailable)"
    return str(job.get_status()) if job is not None else None


@bp.get("")
@admin_required
def show():
    """The active model, its scores, the corrections (one page, optionally one person's), recent decisions."""
    error = path = None
    try:
        path = store.locate(settings())
    except store.ModelError as exc:
        error = str(exc)
    meta = store.sidecar(path) if path else {}
    decisions = list(
        db().scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_(DECISIONS))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(10)
        )
    )
    by, before = request.args.get("by", type=int), request.args.get("before", type=int)
    entries = corrections.listing(db(), limit=PAGE + 1, before=before, user_id=by)
    return render_template(
        "admin/model.html",
        path=path,
        meta=meta,
        error=error,
        source=store.source(settings()),
        labels=meta.get("labels") or [],
        unused=corrections.unused_count(db()),
        decisions=decisions,
        job=_job_state(),
        entries=entries[:PAGE],
        older=entries[PAGE - 1].id if len(entries) > PAGE else None,
        by=by,
        before=before,
    )


@bp.post("/corrections/<int:correction_id>/withdraw")
@admin_required
def withdraw(correction_id: int):
    """Leave a wrong correction out of every retrain from now on; the row and the audit trail stay."""
    correction = corrections.withdraw(db(), correction_id, current_user, datetime.now(UTC))
    if correction is None:
        flash(f"Correction {correction_id} was already withdrawn.")
    else:
        audit.record(
            db(),
            current_user.id,
            "correction.withdraw",
            "correction",
            correction.id,
            message_id=correction.message_id,
            corrected_by=correction.user_id,
            from_intent=correction.from_intent,
            to_intent=correction.to_intent,
            used_in_model=correction.used_in_model,
        )
        db().commit()
        flash(f"Correction {correction_id} withdrawn: the next retrain leaves it out.")
    # Back to the page the admin was on (its filter and page), never to a URL taken from the form.
    return redirect(
        url_for(
            "models_admin.show",
            by=request.form.get("by", type=int),
            before=request.form.get("before", type=int),
            _anchor="corrections",
        ),
        303,
    )


@bp.post("/retrain")
@admin_required
def retrain_now():
    """Queue a retrain (one at a time); the job decides whether the new model becomes active."""
    try:
        job, created = retrain.enqueue(redis(), user_id=current_user.id)
    except RedisError as exc:
        log.error("could not queue a retrain: %s", type(exc).__name__)
        flash("The queue is unavailable, so retraining could not start. Try again shortly.")
        return redirect(url_for("models_admin.show"), 303)
    if created:
        audit.record(db(), current_user.id, "model.retrain", "model", None, job=job.id)
        db().commit()
        flash("Retraining queued. The new model becomes active only if it scores no worse.")
    else:
        flash("A retrain is already queued or running.")
    return redirect(url_for("models_admin.show"), 303)
