"""What a cancelled email did, undone: the message it answered is open again, its ask is withdrawn,
and each application's latest contact is the latest email of ours that still goes.

Used by `outbox.cancel` (one email, undo send) and `batches.cancel` (a batch in its undo window).
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from triage.db import Application, Lane, Message, MessageState, Outbound, OutboxState
from triage.db.outbound import Ask


def undo_effects(session: Session, outbound_ids: list[int]) -> None:
    """Undo what cancelled emails did: reopen the messages they answered, withdraw their asks, and
    put each application's latest contact back to its latest email that still goes."""
    if not outbound_ids:
        return
    rows = list(session.scalars(select(Outbound).where(Outbound.id.in_(outbound_ids))))
    session.execute(delete(Ask).where(Ask.outbound_id.in_(outbound_ids)).execution_options(synchronize_session=False))
    for row in rows:
        if row.reply_to_message_id is not None:
            message = session.get(Message, row.reply_to_message_id)
            if message is not None and message.state == MessageState.replied and not _other_replies(session, row):
                message.state = reopened_state(message)
    restore_last_update(session, {r.application_id for r in rows if r.application_id is not None})


def reopened_state(message: Message) -> MessageState:
    """Where a message goes back to when what answered it is cancelled: held in Held, else open."""
    return MessageState.held if message.lane == Lane.held else MessageState.triaged


def _other_replies(session: Session, row: Outbound) -> bool:
    return (
        session.scalar(
            select(Outbound.id)
            .where(
                Outbound.reply_to_message_id == row.reply_to_message_id,
                Outbound.id != row.id,
                Outbound.state != OutboxState.cancelled,
            )
            .limit(1)
        )
        is not None
    )


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
