"""What a person does to messages in the inbox: archive, snooze, move, hold, change a stage.

Each function changes rows and records an audit event; the caller (a view) commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from triage.config import Settings
from triage.db import Application, AppStage, Correction, Lane, Message, MessageState, User, audit
from triage.db.enums import LANE_NAMES, Intent
from triage.errors import BadInput
from triage.inbox import conversations
from triage.outbound import outbox
from triage.outbound import undo as undo_send  # not triage.inbox.undo: what undo send puts back
from triage.processing.policy import TeamPolicy

log = logging.getLogger(__name__)

OPEN_STATES = (MessageState.triaged, MessageState.held)
INTENTS: tuple[str, ...] = tuple(intent.value for intent in Intent)


def _open_state(lane: Lane | None) -> MessageState:
    return MessageState.held if lane == Lane.held else MessageState.triaged


def archive(session: Session, message: Message, user: User) -> None:
    """Take a message out of its lane: nothing more is owed."""
    before = message.state
    message.state = MessageState.archived
    message.snoozed_until = None
    audit.record(session, user.id, "message.archive", "message", message.id, from_state=str(before))


def snooze(session: Session, message: Message, user: User, until: datetime, now: datetime) -> None:
    """Hide a message until `until`; it comes back to its lane then."""
    if until.tzinfo is None:
        raise BadInput("the snooze time needs a time zone")
    if until <= now:
        raise BadInput("snooze until a time in the future")
    message.state = MessageState.snoozed
    message.snoozed_until = until
    audit.record(session, user.id, "message.snooze", "message", message.id, until=until.isoformat())


def wake_snoozed(session: Session, now: datetime) -> int:
    """Put messages whose snooze has ended back in their lanes; return how many."""
    # Select first so a page view with nothing to wake never takes a write lock.
    due = list(
        session.execute(
            select(Message.id, Message.lane).where(Message.state == MessageState.snoozed, Message.snoozed_until <= now)
        )
    )
    for lane in {lane for _, lane in due}:
        ids = [mid for mid, mlane in due if mlane == lane]
        session.execute(
            update(Message)
            .where(Message.id.in_(ids), Message.state == MessageState.snoozed)
            .values(state=_open_state(lane), snoozed_until=None)
        )
    if due:
        log.info("woke %d snoozed messages", len(due))
    return len(due)


def move(
    session: Session,
    message: Message,
    user: User,
    *,
    lane: Lane | str | None = None,
    intent: str | None = None,
    now: datetime,
) -> Correction | None:
    """Move a message to another lane and/or intent; the correction becomes training data."""
    new_lane = Lane(lane) if lane else message.lane
    new_intent = intent or message.intent
    if new_intent not in INTENTS and new_intent is not None:
        raise BadInput(f"{new_intent!r} is not an intent")
    if new_lane == message.lane and new_intent == message.intent:
        return None
    # A lane move that keeps the intent teaches the classifier nothing: the row keeps the lanes
    # (the trail) but no intent, and training reads only rows with a to_intent.
    relabelled = new_intent != message.intent
    correction = Correction(
        message_id=message.id,
        user_id=user.id,
        at=now,
        from_intent=message.intent if relabelled else None,
        to_intent=new_intent if relabelled else None,
        from_lane=str(message.lane) if message.lane else None,
        to_lane=str(new_lane),
    )
    session.add(correction)
    changes = []
    if new_lane != message.lane:
        before = LANE_NAMES[Lane(message.lane)] if message.lane else "no lane"
        changes.append(f"from {before} to {LANE_NAMES[Lane(new_lane)]}")
    if new_intent != message.intent:
        changes.append(f"now read as {Intent(new_intent).value.replace('_', ' ')}")
    audit.record(
        session,
        user.id,
        "message.move",
        "message",
        message.id,
        from_lane=correction.from_lane,
        to_lane=correction.to_lane,
        from_intent=message.intent,
        to_intent=new_intent,
    )
    message.lane, message.intent = new_lane, new_intent
    # The person's move is why it is here now: it comes first; what the routing said stays below.
    earlier = [r if r.startswith(("moved by ", "earlier: ")) else f"earlier: {r}" for r in message.reasons or []]
    message.reasons = [f"moved by {user.name} {', '.join(changes)}".rstrip(), *earlier]
    message.is_chaser = new_lane == Lane.held
    # Moving a message out of the Archived or Snoozed view brings it back to its new lane.
    if message.state in (*OPEN_STATES, MessageState.snoozed, MessageState.archived):
        message.state = _open_state(new_lane)
        message.snoozed_until = None
    if new_lane == Lane.today and message.due_at is None:
        message.due_at = now + TeamPolicy.of(message.role).today_due
    return correction


def hold_for_batch(session: Session, message: Message, user: User, now: datetime) -> None:
    """Let the role's next batched status update answer this message."""
    if message.role_id is None:
        raise BadInput("a message with no role cannot wait for a role's batch update")
    move(session, message, user, lane=Lane.held, now=now)
    message.state = MessageState.held
    message.snoozed_until = None
    audit.record(session, user.id, "message.hold", "message", message.id)


def change_stage(session: Session, application: Application, user: User, stage: AppStage | str, now: datetime) -> bool:
    """Move an application to another stage; False when it is already there."""
    try:
        new = AppStage(stage)
    except ValueError:
        raise BadInput(f"{stage!r} is not a stage") from None
    if application.stage == new:
        return False
    before = application.stage
    application.stage = new
    application.stage_changed_at = now
    if new == AppStage.rejected and application.rejected_at is None:
        application.rejected_at = now
    event = audit.record(
        session,
        user.id,
        "application.stage",
        "application",
        application.id,
        from_stage=str(before),
        to_stage=str(new),
        role_id=application.role_id,
    )
    event.at = now  # the same clock as stage_changed_at
    return True


def visible_messages(session: Session, ids: Iterable[int], visible_roles: set[int] | None) -> list[Message]:
    """The messages among `ids` the user may act on (others are silently not found)."""
    ids = sorted({int(i) for i in ids})
    if not ids:
        return []
    query = select(Message).where(Message.id.in_(ids))
    if visible_roles is not None:
        query = query.where(Message.role_id.in_(visible_roles))
    return list(session.scalars(query))


BULK_ACTIONS = ("archive", "move", "stage", "hold")


def bulk(
    session: Session,
    messages: list[Message],
    user: User,
    action: str,
    now: datetime,
    *,
    lane: str | None = None,
    intent: str | None = None,
    stage: str | None = None,
) -> dict[str, int]:
    """Apply one action to many messages; return counts of done and skipped (with why)."""
    if action not in BULK_ACTIONS:
        raise BadInput(f"{action!r} is not a bulk action")
    if action == "move" and not (lane or intent):
        raise BadInput("choose a lane or an intent to move to")
    if action == "stage" and not stage:
        raise BadInput("choose a stage")
    result = {"done": 0, "skipped": 0}
    seen_applications: set[int] = set()
    for message in messages:
        if action == "archive":
            archive(session, message, user)
        elif action == "move":
            move(session, message, user, lane=lane or None, intent=intent or None, now=now)
        elif action == "hold":
            if message.role_id is None:
                result["skipped"] += 1
                continue
            hold_for_batch(session, message, user, now)
        elif action == "stage":
            if message.application is None or message.application_id in seen_applications:
                result["skipped"] += 1
                continue
            seen_applications.add(message.application_id)
            change_stage(session, message.application, user, stage, now)
        result["done"] += 1
    audit.record(
        session,
        user.id,
        f"bulk.{action}",
        "message",
        None,
        count=result["done"],
        skipped=result["skipped"],
        ids=[m.id for m in messages][:500],
    )
    return result


def reply(
    session: Session,
    settings: Settings,
    message: Message,
    user: User,
    *,
    subject: str,
    body_text: str,
    asks_for_info: bool = False,
):
    """Queue a personal reply through the outbox; the caller commits, then enqueues delivery."""

    if not body_text.strip():
        raise BadInput("the reply is empty")
    if not subject.strip():
        raise BadInput("the reply needs a subject")
    # A reply answers the whole conversation: the candidate's other open messages about the role.
    others = conversations.siblings(session, message, same_lane=False)[1:]
    before = undo_send.places([message, *others])  # where they were, for undo send
    # create_reply marks the message replied and records the audit event itself.
    outbound = outbox.create_reply(
        session,
        settings,
        message_id=message.id,
        subject=subject.strip(),
        body_text=body_text,
        user_id=user.id,
        asks_for_info=asks_for_info,
    )
    message.snoozed_until = None
    for other in others:
        other.state, other.snoozed_until = MessageState.replied, None
        audit.record(session, user.id, "message.answered", "message", other.id, outbound_id=outbound.id)
    undo_send.remember_closed(session, outbound.id, user.id, before)
    return outbound


def retry_failed(session: Session, message: Message, user: User) -> None:
    """Send a message whose processing failed through the pipeline again (the caller enqueues it)."""
    if message.state != MessageState.failed:
        raise BadInput("only a message whose processing failed can be retried")
    audit.record(session, user.id, "message.retry", "message", message.id, error=(message.error or "")[:200])
    message.state = MessageState.received
    message.error = None
