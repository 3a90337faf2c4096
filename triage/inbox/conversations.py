"""A conversation: one candidate's open messages about one role, which a person acts on together."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.db import Message, MessageState

OPEN = (MessageState.triaged, MessageState.held)


def siblings(session: Session, message: Message, *, same_lane: bool = True) -> list[Message]:
    """The message and the other open messages of its conversation (the same candidate and role).

    With `same_lane`, only those in the message's lane: archiving a row of Held never archives
    the candidate's answer waiting in Today. A message with no candidate is its own conversation.
    """
    if message.candidate_id is None or message.state not in OPEN:
        return [message]
    query = select(Message).where(
        Message.candidate_id == message.candidate_id,
        Message.role_id.is_(None) if message.role_id is None else Message.role_id == message.role_id,
        Message.state.in_(OPEN),
        Message.id != message.id,
    )
    if same_lane:
        query = query.where(Message.lane == message.lane)
    return [message, *session.scalars(query.order_by(Message.received_at, Message.id))]


def expand(session: Session, messages: list[Message]) -> list[Message]:
    """The chosen messages with their conversations (a list row stands for its whole conversation)."""
    seen: dict[int, Message] = {}
    for message in messages:
        for sibling in siblings(session, message):
            seen.setdefault(sibling.id, sibling)
    return list(seen.values())
