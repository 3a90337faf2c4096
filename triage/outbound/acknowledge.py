"""Acknowledge a held chaser automatically, naming the date of the role's next batch update.

At most once per candidate per role per 7 days (team policy "acknowledge_once_per_days"), and
never to automatic mail, lists, bulk mail or no-reply senders (RFC 3834 section 2). On by
default; a team turns it off with the policy key "acknowledge_chasers": false (all keys:
triage.processing.policy).
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.config import Settings
from triage.db import Application, AppStage, Batch, BatchState, JobRole, Lane, Message, Outbound, TemplateKind, audit
from triage.db.base import utcnow
from triage.errors import BadInput
from triage.outbound import mime, outbox, templates
from triage.processing.policy import TeamPolicy

log = logging.getLogger(__name__)

_NO_REPLY = re.compile(
    r"^(no-?reply|do-?not-?reply|donotreply|noreply-.*|.*-noreply|mailer-daemon|postmaster|"
    r"bounces?|bounce-.*|.*-bounces?|notifications?|listserv|majordomo|owner-.*|.*-request)$",
    re.IGNORECASE,
)
_LIST_HEADERS = (
    "List-Id",
    "List-Unsubscribe",
    "List-Post",
    "List-Help",
    "List-Owner",
    "List-Archive",
    "Feedback-ID",
    "X-Mailing-List",
    "X-Campaign",
)
_AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")


def why_not_automatic(message: Message) -> str | None:
    """The reason no automatic reply may go to this message's sender, or None (RFC 3834)."""
    if message.auto_reply:
        return "it is an automatic reply"
    sender = (message.original_from_address or message.from_address or "").strip()
    local = sender.rpartition("@")[0]
    if not sender or not local:
        return "no sender address"
    if _NO_REPLY.match(local):
        return "no-reply sender"
    headers = BytesHeaderParser(policy=compat32).parsebytes(message.raw or b"", headersonly=True) if message.raw else {}
    auto_submitted = str(headers.get("Auto-Submitted", "no")).strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return f"Auto-Submitted: {auto_submitted}"
    if any(headers.get(h) for h in _AUTO_HEADERS):
        return "marked as an automatic reply"
    precedence = str(headers.get("Precedence", "")).strip().lower()
    if precedence in ("bulk", "list", "junk", "auto_reply"):
        return f"Precedence: {precedence}"
    if any(headers.get(h) for h in _LIST_HEADERS):
        return "sent through a mailing list or bulk sender"
    if str(headers.get("Return-Path", "")).strip() == "<>":
        return "null return path (a bounce or automatic message)"
    return None


def next_update(session: Session, role: JobRole, today: date) -> date | None:
    """The date we promise: the role's next update date, else its next scheduled batch."""
    if role.next_update_on is not None and role.next_update_on >= today:
        return role.next_update_on
    for batch in session.scalars(
        select(Batch).where(Batch.state == BatchState.scheduled).order_by(Batch.scheduled_for)
    ):
        if role.id in (batch.role_ids or []) and batch.scheduled_for and batch.scheduled_for.date() >= today:
            return batch.scheduled_for.date()
    return None


def acknowledge(session: Session, message: Message, settings: Settings, now: datetime | None = None) -> Outbound | None:
    """Queue a short automatic reply to a held chaser, or return None when none is owed or allowed.

    The caller commits, then calls `dispatch.enqueue_delivery(redis, [row.id])`.
    """
    now = now or utcnow()
    if not message.is_chaser or message.lane != Lane.held or message.role_id is None or message.candidate_id is None:
        return None
    role = session.get(JobRole, message.role_id)
    policy = TeamPolicy.of(role)
    if not policy.acknowledge_chasers:
        return None
    reason = why_not_automatic(message)
    if reason:
        log.info("no acknowledgement for message %s: %s", message.id, reason)
        return None
    application = (
        session.get(Application, message.application_id)
        if message.application_id
        else session.scalar(
            select(Application).where(
                Application.candidate_id == message.candidate_id, Application.role_id == message.role_id
            )
        )
    )
    if application is None:
        return None
    if application.stage in (AppStage.withdrawn, AppStage.rejected, AppStage.hired):
        # "Everyone still in the process will hear from us" must not reach someone who is not.
        log.info("no acknowledgement for message %s: application %s", message.id, application.stage.value)
        return None
    # Lock the application so two workers acknowledging two chasers cannot both write.
    session.scalar(select(Application.id).where(Application.id == application.id).with_for_update())
    since = now - policy.acknowledge_once_per
    recent = session.scalar(
        select(Outbound.id)
        .where(
            Outbound.kind == "ack",
            Outbound.candidate_id == message.candidate_id,
            Outbound.role_id == message.role_id,
            Outbound.created_at > since,
        )
        .limit(1)
    )
    if recent is not None:
        return None
    to_address = application.candidate.email
    if outbox.is_suppressed(session, to_address):
        return None
    when = next_update(session, role, now.date())
    if when is None:
        log.info("no acknowledgement for message %s: role %s has no next update date", message.id, role.id)
        return None
    template = templates.default_template(session, TemplateKind.acknowledgement)
    try:
        rendered = templates.render(
            template,
            templates.context_for(
                application, next_update_on=when, original_subject=mime.clean_header_text(message.subject or "")
            ),
        )
        rendered = templates.with_privacy_notice(rendered, policy.privacy_notice_url)
        row = outbox.new_row(
            settings,
            kind="ack",
            to_address=to_address,
            to_name=application.candidate.name,
            subject=mime.reply_subject(rendered.subject or message.subject),
            body_text=rendered.body_text,
            body_html=rendered.body_html,
            now=now,
            from_name=role.owner.name if role.owner else "",
            application_id=application.id,
            candidate_id=message.candidate_id,
            role_id=message.role_id,
            thread_id=message.thread_id,
            reply_to_message_id=message.id,
            automatic=True,
            **outbox.thread_under(message),
        )
    except mime.BadAddress:
        return None
    except BadInput as exc:  # an edited template with a hole in it: no acknowledgement beats a wrong one
        log.warning("no acknowledgement for message %s: template %s refused: %s", message.id, template.id, exc)
        return None
    session.add(row)
    session.flush()
    audit.record(
        session, None, "outbound.ack", "message", message.id, outbound_id=row.id, next_update_on=when.isoformat()
    )
    return row
