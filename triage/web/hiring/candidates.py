"""An application's page: its dated timeline, a stage change (backdated if need be), a contact made elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from triage.db import AppStage
from triage.db.base import utcnow
from triage.errors import BadInput
from triage.hiring import history
from triage.web import params
from triage.web.hiring import application_or_404, bp, user
from triage.web.services import db


def form_moment(day_field: str, time_field: str, what: str) -> datetime | None:
    """A date (and optional time) from a date picker, in UTC; None when no date is given."""
    day = params.day(request.form.get(day_field), what)
    if day is None:
        return None
    raw = (request.form.get(time_field) or "").strip()
    try:
        clock = time.fromisoformat(raw) if raw else None
    except ValueError:
        raise BadInput(f"{what}: the time must be like 14:30") from None
    if clock is None:
        # A day without a time: now if it is today, else midday (a date picker says the day, not the hour).
        now = utcnow()
        return now if day == now.date() else datetime.combine(day, time(12, 0), UTC)
    return datetime.combine(day, clock, UTC)


def given_moment(value: object, what: str) -> datetime | None:
    """`at` as a form or JSON gives it: a date (2026-12-01), a date and time (UTC unless it says), or nothing."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value.strip()) == 10:
        day = params.day(value, what)
        now = utcnow()
        return now if day == now.date() else datetime.combine(day, time(12, 0), UTC)
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00")) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None:
        raise BadInput(f"{what} must be a date like 2026-12-01 or a date-time like 2026-12-01T14:30:00+01:00")
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def interview_moment() -> datetime | None:
    """The interview's date and time from a datetime-local field (UTC)."""
    return given_moment(request.form.get("interview_at"), "the interview date")


def change_stage_from_form(application) -> bool:
    """The stage form, shared by this page and the message page's action: True when something changed."""
    stage = params.choice(request.form.get("stage"), "stage", [s.value for s in AppStage])
    if stage is None:
        raise BadInput("choose a stage")
    event = history.change_stage(
        db(),
        application,
        stage,
        now=utcnow(),
        at=form_moment("on", "time", "the date of the change") or given_moment(request.form.get("at"), "at"),
        interview_at=interview_moment(),
        user_id=user().id,
    )
    return event is not None


@bp.get(f"/applications/<{params.ID}:application_id>")
@login_required
def application(application_id: int):
    app = application_or_404(application_id)
    return render_template(
        "hiring/application.html",
        app=app,
        entries=history.timeline(db(), app),
        stages=[s.value for s in AppStage],
        channels=history.CHANNELS,
        today=utcnow().date(),
    )


@bp.post(f"/applications/<{params.ID}:application_id>/stage")
@login_required
def application_stage(application_id: int):
    app = application_or_404(application_id)
    changed = change_stage_from_form(app)
    db().commit()
    flash(f"Stage: {app.stage.value}." if changed else "Nothing changed: the application was already there.")
    return redirect(url_for("hiring.application", application_id=app.id))


@bp.post(f"/applications/<{params.ID}:application_id>/contact")
@login_required
def application_contact(application_id: int):
    app = application_or_404(application_id)
    history.log_contact(
        db(),
        app,
        now=utcnow(),
        at=form_moment("on", "time", "the date of the contact"),
        channel=params.choice(request.form.get("channel"), "channel", history.CHANNELS, default="phone"),
        asked=request.form.get("asked") == "1",
        note=params.text(request.form.get("note"), "note", default="", longest=500),
        user_id=user().id,
    )
    db().commit()
    flash("Contact recorded.")
    return redirect(url_for("hiring.application", application_id=app.id))
