"""One message: who, which role and stage, the timeline, the text, the sanitized original, actions."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import make_response, render_template, request
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from triage.db import AppStage, Message, Outbound, OutboxState, Template, User
from triage.db.base import utcnow
from triage.inbox.operations import INTENTS
from triage.mail import forwarded
from triage.mail.parse import parse
from triage.outbound import mime
from triage.web import params
from triage.web.inbox import bp, thread
from triage.web.inbox.common import message_or_404, visible
from triage.web.inbox.neighbours import neighbours
from triage.web.inbox.queries import LANES, replies_to, timeline
from triage.web.inbox.sanitize import document, sanitize
from triage.web.services import db

log = logging.getLogger(__name__)

# The iframe document: nothing may load or run; inline styles only; images only once asked for.
ORIGINAL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src {images}; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'self'; "
    "sandbox"
)  # opened on its own, the document is still sandboxed


def original_html(raw: bytes) -> str | None:
    """The text/html part of a stored message, if it has one."""
    return parse(raw).html


@dataclass(frozen=True)
class ForwardView:
    """A forward as the recruiter reads it: who forwarded it, their note, the candidate's whole message."""

    by: str
    note: str | None
    body: str | None  # the innermost original's text (also of an attached message/rfc822)


def forward_view(session, message: Message) -> ForwardView | None:
    """Who forwarded the message and what they wrote above it; None when it is not a team member's forward."""
    if message.forwarded_by_id is None:
        return None
    forwarder = session.get(User, message.forwarded_by_id)
    try:
        chain = forwarded.unwrap_message(parse(message.raw))
    except Exception as exc:  # noqa: BLE001 - a raw message that no longer parses still shows its stored text
        log.warning("message %d: forward not re-read (%s)", message.id, type(exc).__name__)
        chain = []
    return ForwardView(
        by=forwarder.name if forwarder else "a former team member",
        note=chain[0].note if chain else None,
        body=chain[-1].body if chain else None,
    )


@dataclass(frozen=True)
class Draft:
    """What the reply form holds when the page opens."""

    subject: str
    body: str = ""
    asks_for_info: bool = False


def draft_of(session, message: Message, outbound_id: int | None) -> Draft:
    """The cancelled reply `outbound_id` (after Undo send) to fix and send again, else a blank reply.

    Only a reply to this very message that never went is put back: any other id gives the blank form.
    """
    blank = Draft(subject=mime.reply_subject(message.subject))
    if outbound_id is None:
        return blank
    cancelled = session.get(Outbound, outbound_id)
    if (
        cancelled is None
        or cancelled.kind != "reply"
        or cancelled.reply_to_message_id != message.id
        or cancelled.state != OutboxState.cancelled
    ):
        return blank
    return Draft(subject=cancelled.subject, body=cancelled.body_text, asks_for_info=bool(cancelled.asks_for_info))


def sender(message: Message) -> str:
    """Who the message is from, as the page names them: the candidate, else the sender's name or address."""
    return (
        (message.candidate.name if message.candidate is not None else None)
        or message.original_from_name
        or message.from_name
        or message.original_from_address
        or message.from_address
        or "Unknown sender"
    )


@bp.get("/messages/<int:message_id>")
@login_required
def show(message_id: int):
    session = db()
    # The candidate, role and application come in the same query as the message.
    message = message_or_404(
        message_id, (joinedload(Message.candidate), joinedload(Message.role), joinedload(Message.application))
    )
    roles = visible()  # the timeline, the replies and the neighbours stay within the viewer's roles
    previous_id, next_id = neighbours(session, message, roles)
    html = original_html(message.raw) if message.has_html else None
    blocked = sanitize(html).blocked_images if html else 0
    templates = list(session.scalars(select(Template).order_by(Template.kind, Template.name)))
    forward = forward_view(session, message)
    body = (forward.body if forward and forward.body else message.body_text) or ""
    new_text = message.reply_text if message.reply_text else body
    quoted = body if body.strip() and body.strip() != new_text.strip() else ""
    draft = draft_of(session, message, params.integer(request.args.get("draft"), "draft"))
    return render_template(
        "inbox/message.html",
        message=message,
        who=sender(message),
        candidate=message.candidate,
        role=message.role,
        application=message.application,
        events=timeline(session, message, roles),
        thread=thread.conversation(session, message, roles),
        replies=replies_to(session, message.id, roles),
        new_text=new_text,
        quoted=quoted,
        has_original=bool(html),
        blocked_images=blocked,
        previous_id=previous_id,
        next_id=next_id,
        lanes=LANES,
        intents=INTENTS,
        stages=[s.value for s in AppStage],
        templates=templates,
        forward=forward,
        draft=draft,
        now=utcnow(),
    )


@bp.get("/messages/<int:message_id>/original")
@login_required
def original(message_id: int):
    """The candidate's HTML, sanitized, for a sandboxed iframe under its own strict policy."""
    message = message_or_404(message_id)
    html = original_html(message.raw) if message.has_html else None
    show_images = request.args.get("images") == "1"
    body = sanitize(html, show_images=show_images).html if html else "<p>(no HTML part)</p>"
    response = make_response(document(body))
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Content-Security-Policy"] = ORIGINAL_CSP.format(
        images="https: http:" if show_images else "'none'"
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"
    return response
