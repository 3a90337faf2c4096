"""Admin page for the intent model: which one is active, its scores, unused corrections, retrain now."""
from __future__ import annotations

import logging

from flask import Blueprint, Flask, flash, redirect, render_template, url_for
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy import select

from triage import audit, corrections, model_store, retrain
from triage.db import AuditEvent
from triage.web.auth import admin_required
from triage.web.services import db, redis, settings

log = logging.getLogger(__name__)
bp = Blueprint("models_admin", __name__, url_prefix="/admin/model")
DECISIONS = ("model.activate", "model.reject")


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
    """The active model, its scores, how many corrections wait for the next retrain."""
    error = path = None
    try:
        path = model_store.locate(settings())
    except model_store.ModelError as exc:
        error = str(exc)
    meta = model_store.sidecar(path) if path else {}
    decisions = list(db().scalars(select(AuditEvent).where(AuditEvent.action.in_(DECISIONS))
                                  .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(10)))
    return render_template("admin/model.html", path=path, meta=meta, error=error,
                           source=model_store.source(settings()), labels=meta.get("labels") or [],
                           unused=corrections.unused_count(db()), decisions=decisions, job=_job_state())


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
