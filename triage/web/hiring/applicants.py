"""Import applicants from an ATS export: upload, preview (columns found, first rows, bad rows), import.

The uploaded file waits in Redis (an hour, for the user who sent it) between the preview and the
import, so any web process can finish it; the import re-reads and re-checks it in one transaction.
"""

from __future__ import annotations

import logging
import secrets
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from redis.exceptions import RedisError
from werkzeug.exceptions import RequestEntityTooLarge

from triage.errors import BadInput, TooLarge, TriageError, Unavailable
from triage.hiring import applicants, csvfile
from triage.web import params
from triage.web.hiring import bp, require_manager, role_or_404
from triage.web.services import db, redis

log = logging.getLogger(__name__)

KEEP_SECONDS = 3600
PREVIEW_ROWS = 20


def _key(user_id: int, token: str) -> str:
    return f"triage:hiring:upload:{user_id}:{token}"


def _options() -> tuple[ZoneInfo, bool, str]:
    name = params.text(request.form.get("timezone"), "time zone", default="UTC", longest=60).strip() or "UTC"
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInput(f"unknown time zone {name!r} (say Europe/Berlin, UTC...)") from None
    return zone, request.form.get("day_first") == "1", name


def _too_large_message() -> str:
    return (
        f"the file is larger than {csvfile.MAX_BYTES >> 20} MB; an applicant export is smaller. Nothing was imported."
    )


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(_exc):
    # Werkzeug refuses an oversized body while the form is read (even by the CSRF check): say why in words.
    return render_template("error.html", status=413, message=_too_large_message()), 413


@bp.get(f"/roles/<{params.ID}:role_id>/import")
@login_required
def import_form(role_id: int):
    role = role_or_404(role_id)  # first: a role she cannot see is a 404, not a 403
    require_manager()
    return render_template("hiring/import.html", role=role, plan=None, max_mb=csvfile.MAX_BYTES >> 20)


@bp.post(f"/roles/<{params.ID}:role_id>/import/preview")
@login_required
def import_preview(role_id: int):
    role = role_or_404(role_id)  # first: a role she cannot see is a 404, not a 403
    actor = require_manager()
    # Refuse an oversized upload before Werkzeug reads it into memory.
    if (request.content_length or 0) > csvfile.MAX_BYTES + 64 * 1024:
        raise TooLarge(_too_large_message())
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadInput("choose a CSV file")
    data = upload.read(csvfile.MAX_BYTES + 1)
    zone, day_first, zone_name = _options()
    error = None
    plan = None
    try:
        plan = applicants.plan_csv(db(), data, role, zone=zone, day_first=day_first)
    except TriageError as exc:
        error = str(exc)
    token = ""
    if plan is not None and not plan.errors and plan.rows:
        token = secrets.token_urlsafe(16)
        try:
            redis().set(_key(actor.id, token), data, ex=KEEP_SECONDS)
        except RedisError as exc:
            # Without the stored file the Import button could only fail: say so now (503, nothing imported).
            log.error("import preview not stored: %s", type(exc).__name__)
            raise Unavailable(
                "the preview could not be stored: Redis unavailable; try again shortly. Nothing was imported."
            ) from None
    return render_template(
        "hiring/import.html",
        role=role,
        plan=plan,
        error=error,
        filename=upload.filename,
        token=token,
        zone_name=zone_name,
        day_first=day_first,
        preview=plan.rows[:PREVIEW_ROWS] if plan else [],
        max_mb=csvfile.MAX_BYTES >> 20,
    ), (200 if plan is not None and not plan.errors else 400)


@bp.post(f"/roles/<{params.ID}:role_id>/import")
@login_required
def import_confirm(role_id: int):
    role = role_or_404(role_id)  # first: a role she cannot see is a 404, not a 403
    actor = require_manager()
    token = params.text(request.form.get("token"), "token", default="", longest=64)
    try:
        data = redis().get(_key(actor.id, token)) if token else None
    except RedisError as exc:
        log.error("import upload not read: %s", type(exc).__name__)
        raise Unavailable(
            "the uploaded file could not be read back: Redis unavailable; try again shortly. Nothing was imported."
        ) from None
    if data is None:
        raise BadInput("the upload has expired (after an hour) or was already imported; upload the file again")
    zone, day_first, _ = _options()
    plan = applicants.plan_csv(db(), data, role, zone=zone, day_first=day_first)
    if plan.errors:  # the database changed since the preview
        raise BadInput(f"nothing imported:\n{plan.error_text()}")
    counts = applicants.apply(db(), plan, actor.id, source="web")
    db().commit()
    try:
        redis().delete(_key(actor.id, token))
    except (
        RedisError
    ) as exc:  # imported already: the kept file expires by itself, and importing it again changes nothing
        log.warning("imported upload not removed: %s", type(exc).__name__)
    flash(
        f"Imported into {role.reference}: {counts['new']} new, {counts['update']} updated, "
        f"{counts['unchanged']} unchanged."
    )
    return redirect(url_for("hiring.role", role_id=role.id))
