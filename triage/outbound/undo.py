"""What a cancelled email did, undone: the messages it answered are back where they were, its ask is
withdrawn, and each application's latest contact is the latest email of ours that still goes.

A reply from the inbox answers the whole conversation (every open message of the candidate about
the role); `remember_closed` records where each of those messages was, in an audit event on the
outgoing row, and undo send puts each back from it. Used by `outbox.cancel` (one email, undo
send) and `batches.cancel` (a batch in its undo window).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from triage.db import Application, AuditEvent, Lane, Message, MessageState, Outbound, OutboxState, audit
from triage.db.outbound import Ask

CLOSED = "outbound.closed"  # the audit action that keeps where a reply's messages were


def places(messages: Iterable[Message]) -> list[dict]:
    """Where messages are now (state, lane, snooze): taken before a reply closes them."""
    return [
        {
            "id": m.id,
            "state": str(m.state),
            "lane": str(m.lane) if m.lane else None,
            "snoozed_until": m.snoozed_until.isoformat() if m.snoozed_until else None,
        }
        for m in messages
    ]


def remember_closed(session: Session, outbound_id: int, user_id: int | None, before: list[dict]) -> None:
    """Record the messages a reply closed and where they were (`places`, taken before), for undo send."""
    audit.record(session, user_id, CLOSED, "outbound", outbound_id, messages=before)


def undo_effects(session: Session, outbound_ids: list[int], user_id: int | None = None) -> None:
    """Undo what cancelled emails did: put the messages they answered back where they were, withdraw
    their asks, and put each application's latest contact back to its latest email that still goes."""
    if not outbound_ids:
        return
    rows = list(session.scalars(select(Outbound).where(Outbound.id.in_(outbound_ids))))
    session.execute(delete(Ask).where(Ask.outbound_id.in_(outbound_ids)).execution_options(synchronize_session=False))
    replies = [row for row in rows if row.reply_to_message_id is not None]
    closed = _closed_by(session, [row.id for row in replies])
    for row in replies:
        if row.id in closed:
            # Where each message was when this reply was written: only a later reply that still
            # goes can have answered one of them since.
            before, answered = closed[row.id], _answered_by_others(session, row, later_only=True)
        else:  # a reply made outside the inbox answered only its own message
            before, answered = [{"id": row.reply_to_message_id}], _answered_by_others(session, row, later_only=False)
        for place in before:
            message = session.get(Message, place["id"])
            # A message acted on since (not replied any more) stays as it is.
            if message is None or message.state != MessageState.replied or message.id in answered:
                continue
            if place.get("state") == str(MessageState.replied):
                continue  # it was replied to before this reply too
            _put_back(message, place)
            audit.record(
                session,
                user_id,
                "message.reopened",
                "message",
                message.id,
                outbound_id=row.id,
                state=str(message.state),
                lane=str(message.lane) if message.lane else None,
            )
    restore_last_update(session, {r.application_id for r in rows if r.application_id is not None})


def _put_back(message: Message, place: dict) -> None:
    if "state" not in place:
        message.state = reopened_state(message)
        return
    message.lane = Lane(place["lane"]) if place["lane"] else None
    message.state = MessageState(place["state"])
    # A snooze that ended meanwhile wakes as any other (inbox.operations.wake_snoozed).
    message.snoozed_until = datetime.fromisoformat(place["snoozed_until"]) if place["snoozed_until"] else None


def reopened_state(message: Message) -> MessageState:
    """Where a message goes back to when what answered it is cancelled: held in Held, else open."""
    return MessageState.held if message.lane == Lane.held else MessageState.triaged


def _closed_by(session: Session, outbound_ids: list[int]) -> dict[int, list[dict]]:
    """The messages each reply closed, where they were before (from `remember_closed`)."""
    if not outbound_ids:
        return {}
    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.target_type == "outbound",
            AuditEvent.target_id.in_(outbound_ids),
            AuditEvent.action == CLOSED,
        )
    )
    return {event.target_id: list((event.details or {}).get("messages") or []) for event in events}


def _answered_by_others(session: Session, row: Outbound, *, later_only: bool) -> set[int]:
    """The messages that other replies to the candidate (or to the message), not cancelled, answered."""
    query = select(Outbound.id, Outbound.reply_to_message_id).where(
        Outbound.candidate_id == row.candidate_id
        if row.candidate_id is not None
        else Outbound.reply_to_message_id == row.reply_to_message_id,
        Outbound.reply_to_message_id.is_not(None),
        Outbound.id > row.id if later_only else Outbound.id != row.id,
        Outbound.state != OutboxState.cancelled,
    )
    others = list(session.execute(query))
    answered = {message_id for _, message_id in others}
    for before in _closed_by(session, [outbound_id for outbound_id, _ in others]).values():
        answered.update(place["id"] for place in before)
    return answered


def restore_last_update(session: Session, application_ids: set[int]) -> None:
    """Each application's latest contact and batch update from the emails of ours that still go."""
    for application_id in sorted(application_ids):
        application = session.get(Application, application_id)
        if application is None:
            continue
        going = (
            select(Outbound)
            .where(
                Outbound.application_id == application_id,
                Outbound.state != OutboxState.cancelled,
                Outbound.automatic.is_(False),
            )
            .order_by(Outbound.created_at.desc(), Outbound.id.desc())
            .limit(1)
        )
        latest = session.scalar(going)
        last_batch = session.scalar(
            going.where(Outbound.kind == "batch", Outbound.asks_for_info.is_(False)).with_only_columns(
                Outbound.created_at
            )
        )
        values = {"last_batch_at": last_batch, "last_update_at": None, "last_update_kind": None}
        values["last_update_asked"] = False
        if latest is not None:
            values.update(
                last_update_at=latest.created_at,
                last_update_kind=latest.kind,
                last_update_asked=bool(latest.asks_for_info),
            )
        # A statement, not attribute sets: a batch wrote these columns with a bulk UPDATE, so the
        # loaded object may still hold the old values and an attribute set would look like no change.
        session.execute(update(Application).where(Application.id == application_id).values(**values))
        session.expire(application)
