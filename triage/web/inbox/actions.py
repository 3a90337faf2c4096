"""Acting on one message: archive, snooze, move, change the stage, reply. Views commit here."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from triage import dates
from triage.db import Outbound, Template
from triage.db.base import utcnow
from triage.errors import BadInput
from triage.inbox import conversations, operations, undo
from triage.outbound import batches, dispatch, mime, outbox, unfilled
from triage.outbound import templates as email_templates  # `templates` is a list in the views
from triage.web import params
from triage.web.inbox import bp
from triage.web.inbox.common import LANE_KEYS, filters_from_url, is_htmx, message_or_404, user, visible
from triage.web.inbox.neighbours import neighbours
from triage.web.inbox.queries import LANES, lane_counts
from triage.web.services import db, redis, settings

log = logging.getLogger(__name__)

SNOOZE_HOURS = {"4": 4, "24": 24, "72": 72, "168": 168}


def go_back(message_id: int | None = None):
    """Where to go after an action: the page the form named (local only), else the inbox."""
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("home.index")
    return redirect(target)


def _done(message, what: str, next_id: int | None, event=None):
    """After an action on one message: htmx gets the counts, a browser goes on to the next one.

    `event` is the undoable record of the action: the flash message offers Undo. Taken on the
    message page, the Undo also names the message, so that undoing it comes back to it even
    when the page has moved on to the next conversation.
    """
    db().commit()
    on_page = request.form.get("next") == "message"
    if event is None:
        category = "message"
    else:
        category = f"undo:{event.id}:{message.id}" if on_page and not is_htmx() else f"undo:{event.id}"
    if is_htmx():
        # The row disappears (empty swap) and the lane counts and the flash refresh out of band,
        # the lane the page shows still marked as current.
        return render_template(
            "inbox/_counts_oob.html",
            counts=lane_counts(db(), visible()),
            lanes=LANES,
            filters=filters_from_url(request.headers.get("HX-Current-URL")),
            flashes=[(category, what)],
            undo_next=_local(request.headers.get("HX-Current-URL")),
        )
    flash(what, category)
    if on_page:
        if next_id and user().advance_after_action:
            return redirect(url_for("inbox.show", message_id=next_id))
        return redirect(url_for("inbox.show", message_id=message.id))
    return go_back()


def _local(url: str | None) -> str:
    """The path and query of the page an htmx request came from (where Undo returns to)."""
    parts = urlsplit(url or "")
    return f"{parts.path}?{parts.query}" if parts.query else parts.path or url_for("home.index")


def plural(n: int, word: str = "message") -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


@bp.post("/messages/<int:message_id>/archive")
@login_required
def archive(message_id: int):
    """Archive the message and the rest of its conversation in the lane."""
    message = message_or_404(message_id)
    _, next_id = neighbours(db(), message, visible())
    group = conversations.siblings(db(), message)
    before = undo.snapshot(group)
    for one in group:
        operations.archive(db(), one, user())
    what = "Archived." if len(group) == 1 else f"Archived the conversation ({plural(len(group))})."
    return _done(message, what, next_id, undo.remember(db(), user(), "archive", before))


@bp.post("/messages/<int:message_id>/snooze")
@login_required
def snooze(message_id: int):
    message = message_or_404(message_id)
    now = utcnow()
    _, next_id = neighbours(db(), message, visible())
    if request.form.get("until"):
        try:
            until = datetime.fromisoformat(request.form["until"]).replace(tzinfo=UTC)
        except ValueError:
            raise BadInput("the snooze time must look like 2026-11-26T09:00") from None
    elif request.form.get("hours") in SNOOZE_HOURS:
        until = now + timedelta(hours=SNOOZE_HOURS[request.form["hours"]])
    else:
        raise BadInput("choose how long to snooze")
    group = conversations.siblings(db(), message)
    before = undo.snapshot(group)
    for one in group:
        operations.snooze(db(), one, user(), until, now)
    what = f"Snoozed {plural(len(group))} until {dates.moment(until)} UTC."
    return _done(message, what, next_id, undo.remember(db(), user(), "snooze", before))


@bp.post("/messages/<int:message_id>/move")
@login_required
def move(message_id: int):
    message = message_or_404(message_id)
    lane, intent = request.form.get("lane") or None, request.form.get("intent") or None
    if lane and lane not in LANE_KEYS:
        raise BadInput(f"unknown lane {lane!r}")
    group = conversations.siblings(db(), message)
    before = undo.snapshot(group)
    relabelled = bool(intent) and intent != message.intent
    for one in group:
        if lane == "held":
            operations.hold_for_batch(db(), one, user(), utcnow())
        else:
            operations.move(db(), one, user(), lane=lane, intent=intent, now=utcnow())
    event = undo.remember(db(), user(), "move", before)
    db().commit()
    moved = "Moved." if len(group) == 1 else f"Moved the conversation ({plural(len(group))})."
    flash(f"{moved} The new intent will train the next model." if relabelled else moved, f"undo:{event.id}")
    return redirect(url_for("inbox.show", message_id=message.id))


@bp.post("/messages/<int:message_id>/stage")
@login_required
def stage(message_id: int):
    """Change the stage of the message's application, on the day it happened (`on`/`at`: backdated; default now)."""
    # Imported here: the dated stage form belongs to the hiring pages (one form for both), not to the inbox.
    from triage.web.hiring.candidates import change_stage_from_form

    message = message_or_404(message_id)
    if message.application is None:
        raise BadInput("this message is not linked to an application")
    changed = change_stage_from_form(message.application)
    db().commit()
    flash(f"Stage changed to {message.application.stage}." if changed else "The stage was already that.")
    return redirect(url_for("inbox.show", message_id=message.id))


@bp.get("/messages/<int:message_id>/compose")
@login_required
def compose(message_id: int):
    """The reply form, filled from a template when one is chosen (an htmx partial or a page).

    A template this message cannot fill (say, its role has no next update date yet) leaves the
    body empty and says why in the form, where htmx can show it (it swaps no 4xx answer).
    """
    message = message_or_404(message_id)
    subject, body, problem, asks = mime.reply_subject(message.subject), "", None, False
    template_id = request.args.get("template", "")
    chosen = params.integer(template_id, "template")
    if chosen is not None:
        template = db().get(Template, chosen)
        if template is None:
            abort(404)
        # A request for information asks for something: ticked, the answer will go to Today.
        asks = batches.asks(template)
        try:
            body = email_templates.render(
                template, email_templates.reply_context(message, user(), today=utcnow().date())
            ).body_text
        except BadInput as exc:
            problem = str(exc)
    templates = list(db().scalars(select(Template).order_by(Template.kind, Template.name)))
    return render_template(
        "inbox/_compose.html",
        message=message,
        subject=subject,
        body=body,
        templates=templates,
        template_id=template_id,
        asks_for_info=asks,
        preview=None,
        problem=problem,
    )


@bp.post("/messages/<int:message_id>/reply")
@login_required
def reply(message_id: int):
    """Preview (action=preview) or send (action=send) a reply."""
    message = message_or_404(message_id)
    subject, body = request.form.get("subject", ""), request.form.get("body", "")
    asks = request.form.get("asks_for_info") == "1"
    said = unfilled.problems(subject, body, None)
    if request.form.get("action") != "send" or said:
        # A preview names what is still unfilled and offers no Send; a Send that slipped past it
        # (an old page, a script) comes back to the same form with the reason, nothing queued.
        templates = list(db().scalars(select(Template).order_by(Template.kind, Template.name)))
        return render_template(
            "inbox/_compose.html",
            message=message,
            subject=subject,
            body=body,
            templates=templates,
            template_id=request.form.get("template", ""),
            asks_for_info=asks,
            preview={"subject": subject, "body": body, "to": _recipient(message)},
            problem=f"Not ready to send: {'; '.join(said)}. {unfilled.advice(said)}" if said else None,
        )
    # Before the reply takes the conversation out of its lane; the next row is another conversation.
    _, next_id = neighbours(db(), message, visible())
    outbound = operations.reply(db(), settings(), message, user(), subject=subject, body_text=body, asks_for_info=asks)
    db().commit()
    _enqueue(outbound.id)
    flash("Reply queued.", f"undo-send:{outbound.id}")
    if next_id and user().advance_after_action:
        target = url_for("inbox.show", message_id=next_id, sent=outbound.id)
    else:
        target = url_for("inbox.show", message_id=message.id, sent=outbound.id, _anchor="replies")
    if is_htmx():
        return "", 200, {"HX-Redirect": target}  # a full page load shows the new status
    return redirect(target)


def _recipient(message) -> str:
    if message.candidate is not None:
        return message.candidate.email
    return message.original_from_address or message.from_address or "(unknown)"


def _enqueue(outbound_id: int) -> None:
    """Hand the committed row to the workers; if Redis is down the sweeper sends it later."""
    try:
        dispatch.enqueue_delivery(redis(), [outbound_id])
    except Exception as exc:  # noqa: BLE001 - the row is committed; only the nudge failed
        log.warning("enqueue of outbound %d failed: %s", outbound_id, type(exc).__name__)
        flash("The queue is unavailable; the reply is saved and will be sent when it is back.")


@bp.post("/outbound/<int:outbound_id>/cancel")
@login_required
def cancel_outbound(outbound_id: int):
    """Undo send: stop a reply still in its undo window (see outbox.cancel)."""
    outbound = db().get(Outbound, outbound_id)
    if outbound is None or outbound.reply_to_message_id is None:
        abort(404)
    message = message_or_404(outbound.reply_to_message_id)
    stopped = outbox.cancel(db(), outbound_id, by_user=user().id)
    db().commit()
    if not stopped:
        flash("Too late to cancel: the reply has already gone.")
        return redirect(url_for("inbox.show", message_id=message.id, _anchor="reply"))
    flash(
        "Not sent: the reply was cancelled and the conversation is open again. "
        "Your reply is back in the box below: change it and send it again."
    )
    # The reply form opens holding the cancelled reply (see message.draft_of).
    return redirect(url_for("inbox.show", message_id=message.id, draft=outbound.id, _anchor="reply"))


@bp.get("/outbound/<int:outbound_id>/status")
@login_required
def outbound_status(outbound_id: int):
    """One reply's delivery status (polled by htmx while it is queued or sending)."""
    outbound = db().get(Outbound, outbound_id)
    if outbound is None or outbound.reply_to_message_id is None:
        abort(404)
    message_or_404(outbound.reply_to_message_id)
    return render_template("inbox/_outbound_status.html", out=outbound)
