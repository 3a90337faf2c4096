"""Batch updates in the browser: choose, preview, send or schedule, watch progress; edit templates."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from triage import dates
from triage.accounts import users
from triage.db import Application, AppStage, Batch, Template, TemplateKind, UserRole
from triage.errors import BadInput, TriageError
from triage.outbound import batches, delivery, dispatch
from triage.outbound import templates as email_templates  # `templates` is a view here
from triage.outbound.batches import roster
from triage.web import params
from triage.web.services import db, redis, settings

bp = Blueprint("batches", __name__, url_prefix="/batches")
STAGES = [s.value for s in AppStage]
DEFAULT_STAGES = ("interviewing", "interviewed")
OPEN_UP_TO = 10  # a preview's list of recipients starts open up to this many; longer ones start folded


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.context_processor
def _words() -> dict:
    return {"open_up_to": OPEN_UP_TO}


def _user():
    return current_user.row


def _may_edit_templates() -> bool:
    return _user().role in (UserRole.admin, UserRole.recruiter)


def _own(batch_id: int) -> Batch:
    batch = db().get(Batch, batch_id)
    visible = users.visible_role_ids(db(), _user())
    if batch is None or (visible is not None and not set(batch.role_ids) <= visible):
        abort(404)
    return batch


def _form_choice() -> dict:
    form = request.form
    role_ids = [params.integer(r, "role") for r in form.getlist("role_ids") if r]
    for role_id in role_ids:
        if not users.can_see_role(db(), _user(), role_id):
            abort(404)
    next_update = params.day(form.get("next_update_on"), "the date of the next update")
    if next_update is None:
        raise BadInput("choose the date of the next update")
    template_id = params.integer(form.get("template_id"), "template")
    if template_id is None:
        raise BadInput("choose a template")
    return {
        "role_ids": role_ids,
        "stages": form.getlist("stages"),
        "template_id": template_id,
        "next_update_on": next_update,
        "override": form.get("override") == "on",
    }


def _page(**extra):
    email_templates.ensure_default_templates(db())
    db().commit()
    templates = list(db().scalars(select(Template).order_by(Template.kind, Template.name)))
    recent = list(db().scalars(select(Batch).order_by(Batch.id.desc()).limit(20)))
    visible = users.visible_role_ids(db(), _user())
    recent = [b for b in recent if visible is None or set(b.role_ids) <= visible]
    roles = roster.roles(db(), [r for b in recent for r in b.role_ids])  # one query for the whole table
    recent = [
        {
            "batch": b,
            "p": batches.progress(db(), b.id, failures=0),
            "roles": [roster.role_label(roles[r]) for r in b.role_ids if r in roles],
        }
        for b in recent
    ]
    context = dict(
        roles=users.roles_for(db(), _user()),
        stages=STAGES,
        templates=templates,
        recent=recent,
        chosen=_page_defaults(),
    )
    context.update(extra)
    if not context["chosen"].get("template_id"):
        # The status update, whatever order the list is in: the form is for batched status updates.
        default = email_templates.default_template(db(), TemplateKind.status_update)
        context["chosen"] = {**context["chosen"], "template_id": default.id if default else None}
    return render_template("batches/index.html", **context)


@bp.get("/")
@login_required
def index():
    return _page()


@bp.post("/preview")
@login_required
def preview():
    """The count, the skips and the first emails; a fragment for htmx, else the whole page."""
    try:
        choice = _form_choice()
        result = batches.preview(db(), **choice, user_id=_user().id, limit=3)
        error = None
    except TriageError as exc:
        choice, result, error = None, None, str(exc)
    if request.headers.get("HX-Request"):
        return render_template("batches/_preview.html", preview=result, error=error), 200 if not error else 400
    return _page(
        preview=result, error=error, chosen=choice or _page_defaults(), send_at=request.form.get("send_at", "")
    )


def _page_defaults() -> dict:
    return {
        "role_ids": [],
        "stages": list(DEFAULT_STAGES),
        "template_id": None,
        "next_update_on": None,
        "override": False,
    }


@bp.post("/")
@login_required
def create():
    """Send or schedule, only with `confirm` equal to the number of emails that would go.

    Without it (or with a stale number) nothing is written: the page comes back with the preview
    and the one question to confirm ("Send 77 emails to REQ-1045 candidates?")."""
    try:
        choice = _form_choice()
        confirm = params.integer(request.form.get("confirm"), "confirm", low=0)
        when = _send_at(request.form) if request.form.get("send_at") else None
        batch = batches.create(db(), **choice, user_id=_user().id)
        confirm = batches.require_confirmation(db(), batch, confirm)
        if when is not None:
            batches.schedule(db(), batch.id, when, _user().id, confirm=confirm)
            db().commit()
            dispatch.enqueue_scheduled(redis(), batch)
            flash(f"Batch scheduled for {dates.moment(when)}; you can cancel it until then.")
        else:
            result = dispatch.send_batch_now(db(), settings(), redis(), batch.id, user_id=_user().id, confirm=confirm)
            flash(f"Sending {len(result.outbound_ids)} emails.")
    except batches.NotConfirmed:
        db().rollback()
        choice = _safe_choice()
        try:
            shown = batches.preview(db(), **choice, user_id=_user().id, limit=3)
        except TriageError as exc:
            return _page(error=str(exc), chosen=choice), 400
        db().rollback()
        # A scheduled batch asks "Schedule ... for 11 Dec 2026 09:00?", not "Send ...?" (it read as
        # sending now). `when` was read before the batch was made, so it is set here.
        page = _page(
            preview=shown,
            confirming=True,
            chosen=choice,
            send_at=request.form.get("send_at", ""),
            scheduled_question=batches.question(db(), choice["role_ids"], shown["count"], dates.moment(when))
            if when
            else None,
        )
        return page, 409
    except (TriageError, ValueError) as exc:
        db().rollback()
        return _page(error=str(exc), chosen=_safe_choice()), 400
    return redirect(url_for("batches.show", batch_id=batch.id))


def _safe_choice() -> dict:
    try:
        return _form_choice()
    except TriageError:
        return _page_defaults()


def _send_at(form) -> datetime:
    """The form's local time to send, in the browser's time zone (static/batches.js fills it in).

    The zone's name comes first: an offset is only right for today's side of a daylight-saving
    change. Without either (no JavaScript), the time is read in the server's zone, as the form says.
    """
    try:
        when = datetime.fromisoformat(form["send_at"])
    except ValueError:
        raise BadInput("the time to send must look like 2026-12-11T09:00") from None
    if not params.EARLIEST <= when.date() <= params.LATEST:
        raise BadInput(f"the time to send must be from {params.EARLIEST} to {params.LATEST}")
    if when.tzinfo is not None:
        return when
    zone = _zone(form.get("tz", ""))
    if zone is not None:
        return when.replace(tzinfo=zone)
    minutes = params.integer(form.get("tz_offset_minutes"), "the time zone offset", low=-1439, high=1439)
    if minutes is None:
        return when.astimezone()
    return when.replace(tzinfo=timezone(timedelta(minutes=-minutes)))  # getTimezoneOffset() is UTC − local


def _zone(name: str) -> ZoneInfo | None:
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):  # not a zone this server knows: fall back to the offset
        return None


@bp.get(f"/<{params.ID}:batch_id>")
@login_required
def show(batch_id: int):
    batch = _own(batch_id)
    roles = roster.roles(db(), batch.role_ids)
    return render_template(
        "batches/show.html",
        batch=batch,
        p=batches.progress(db(), batch_id),
        emails=roster.emails(db(), batch),
        roles=[roster.role_label(roles[r]) for r in batch.role_ids if r in roles],
        template=db().get(Template, batch.template_id),
    )


@bp.get(f"/<{params.ID}:batch_id>/progress")
@login_required
def progress(batch_id: int):
    batch = _own(batch_id)
    return render_template(
        "batches/_progress.html", p=batches.progress(db(), batch_id), emails=roster.emails(db(), batch)
    )


@bp.post(f"/<{params.ID}:batch_id>/retry")
@login_required
def retry(batch_id: int):
    _own(batch_id)
    ids = batches.retry_failed(db(), settings(), batch_id, _user().id)
    db().commit()
    dispatch.nudge_delivery(redis(), ids, delivery.chunk_size(settings()))  # Redis down: the sweep sends them
    flash(f"Retrying {len(ids)} emails.")
    return redirect(url_for("batches.show", batch_id=batch_id))


@bp.post(f"/<{params.ID}:batch_id>/cancel")
@login_required
def cancel(batch_id: int):
    """Cancel a scheduled batch, undo one still in its undo window, or stop what has not gone yet."""
    _own(batch_id)
    try:
        result = batches.cancel(db(), batch_id, _user().id, redis())
    except TriageError as exc:
        db().rollback()
        flash(str(exc))
        return redirect(url_for("batches.show", batch_id=batch_id))
    db().commit()
    if result["state"] == "cancelled":
        flash(
            f"Undone: none of the {result['cancelled_rows']} emails was sent."
            if result["cancelled_rows"]
            else "Batch cancelled."
        )
    else:
        flash(f"Cancelled {result['cancelled_rows']} emails not yet sent.")
    return redirect(url_for("batches.show", batch_id=batch_id))


# --- templates -------------------------------------------------------------------------------
def _sample_applications(limit: int = 20) -> list[Application]:
    query = select(Application).order_by(Application.id.desc()).limit(limit)
    visible = users.visible_role_ids(db(), _user())
    if visible is not None:
        query = query.where(Application.role_id.in_(visible))
    return list(db().scalars(query))


@bp.get("/templates")
@login_required
def templates():
    email_templates.ensure_default_templates(db())
    db().commit()
    return render_template(
        "batches/templates.html",
        templates=list(db().scalars(select(Template).order_by(Template.kind, Template.name))),
        may_edit=_may_edit_templates(),
    )


@bp.route("/templates/new", methods=["GET", "POST"], defaults={"template_id": None})
@bp.route(f"/templates/<{params.ID}:template_id>", methods=["GET", "POST"])
@login_required
def edit_template(template_id: int | None):
    template = db().get(Template, template_id) if template_id else None
    if template_id and template is None:
        abort(404)
    fields = {
        "name": template.name if template else "",
        "kind": template.kind.value if template else "status_update",
        "subject": template.subject if template else "",
        "body_text": template.body_text if template else "",
        "body_html": (template.body_html or "") if template else "",
    }
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if not _may_edit_templates():
            abort(403)
        fields = {k: request.form.get(k, "") for k in fields}
        try:
            saved = email_templates.save(db(), template_id=template_id, user_id=_user().id, **fields)
            db().commit()
            flash(f"Template “{saved.name}” saved.")
            return redirect(url_for("batches.edit_template", template_id=saved.id))
        except BadInput as exc:
            db().rollback()
            errors, status = str(exc).split("; "), 400
    samples = _sample_applications()
    return render_template(
        "batches/template_edit.html",
        template=template,
        fields=fields,
        errors=errors,
        kinds=[k.value for k in TemplateKind],
        placeholders=email_templates.PLACEHOLDERS,
        samples=samples,
        may_edit=_may_edit_templates(),
        preview=_render_preview(fields, samples[0].id if samples else None),
    ), status


@bp.post("/templates/preview")
@login_required
def template_preview():
    """Live preview: the form as it stands, rendered for a real candidate (htmx fragment)."""
    fields = {k: request.form.get(k, "") for k in ("kind", "subject", "body_text", "body_html")}
    application_id = params.integer(request.form.get("application_id"), "application_id")
    return render_template("batches/_template_preview.html", preview=_render_preview(fields, application_id))


def _render_preview(fields: dict, application_id: int | None) -> dict:
    errors = email_templates.validate(
        fields.get("kind") or "status_update",
        fields.get("subject", ""),
        fields.get("body_text", ""),
        fields.get("body_html") or None,
    )
    application = db().get(Application, application_id) if application_id else None
    if application is not None and not users.can_see_role(db(), _user(), application.role_id):
        application = None
    if errors or application is None:
        return {"errors": errors, "rendered": None, "application": application}
    template = Template(
        name="preview",
        kind=TemplateKind(fields.get("kind") or "status_update"),
        subject=fields["subject"],
        body_text=fields["body_text"],
        body_html=fields.get("body_html") or None,
    )
    role = application.role
    next_update = role.next_update_on or date.today()
    try:
        rendered = email_templates.render(
            template,
            email_templates.context_for(
                application, next_update_on=next_update, recruiter_name=_user().name, original_subject="Any update?"
            ),
        )
    except BadInput as exc:
        return {"errors": [str(exc)], "rendered": None, "application": application}
    return {"errors": [], "rendered": rendered, "application": application}
