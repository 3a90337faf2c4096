"""The whole conversation on the message page: the candidate's messages, our replies, batch updates
and acknowledgements about one role, oldest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from triage.db import Message, Outbound

LIMIT = 100  # the newest this many of each side; a longer history is in the timeline and search


@dataclass(frozen=True)
class Item:
    at: datetime
    kind: str  # candidate / reply / batch / ack
    who: str
    subject: str
    text: str
    message_id: int | None = None
    state: str = ""


def _inbound_scope(message: Message):
    if message.application_id is not None:
        return Message.application_id == message.application_id
    if message.candidate_id is not None:
        same_role = Message.role_id.is_(None) if message.role_id is None else Message.role_id == message.role_id
        return and_(Message.candidate_id == message.candidate_id, same_role)
    return Message.id == message.id


def _outbound_scope(message: Message, inbound_ids: list[int]):
    about = [Outbound.reply_to_message_id.in_(inbound_ids)]
    if message.application_id is not None:
        about.append(Outbound.application_id == message.application_id)
    elif message.candidate_id is not None and message.role_id is not None:
        about.append(and_(Outbound.candidate_id == message.candidate_id, Outbound.role_id == message.role_id))
    return or_(*about)


def conversation(session: Session, message: Message, visible: set[int] | None) -> list[Item]:
    """Everything said between the candidate and us about this role, in order (`visible`: None is all)."""
    inbound = _inbound_scope(message)
    if visible is not None:
        inbound = and_(inbound, Message.role_id.in_(visible))
    rows = list(
        session.execute(
            select(
                Message.id,
                Message.received_at,
                Message.sent_at,
                Message.subject,
                Message.reply_text,
                Message.body_text,
                Message.original_from_name,
                Message.from_name,
                Message.state,
            )
            .where(inbound)
            .order_by(Message.received_at.desc())
            .limit(LIMIT)
        )
    )
    name = message.candidate.name if message.candidate is not None else None
    items = [
        Item(
            sent or at,
            "candidate",
            name or ofn or fn or "The candidate",
            subject or "(no subject)",
            reply or body or "",
            message_id=mid,
            state=str(state),
        )
        for mid, at, sent, subject, reply, body, ofn, fn, state in rows
    ]
    inbound_ids = [row[0] for row in rows]
    outbound = _outbound_scope(message, inbound_ids)
    if visible is not None:  # a line manager: their roles' emails, and role-less replies to what they see
        mine = and_(Outbound.role_id.is_(None), Outbound.reply_to_message_id.in_(inbound_ids))
        outbound = and_(outbound, or_(Outbound.role_id.in_(visible), mine))
    for out in session.scalars(select(Outbound).where(outbound).order_by(Outbound.created_at.desc()).limit(LIMIT)):
        kind = out.kind if out.kind in ("batch", "ack") else "reply"
        items.append(
            Item(
                out.sent_at or out.created_at,
                kind,
                out.from_name or "Us",
                out.subject,
                out.body_text,
                state=str(out.state),
            )
        )
    items.sort(key=lambda item: item.at)
    return items
