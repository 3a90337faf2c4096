"""Previous and next on a message page: the rows above and below its conversation on the lane's page."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import and_, bindparam, case, func, literal, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement

from triage.db import Message
from triage.inbox.operations import OPEN_STATES
from triage.web.inbox.queries import OLDEST_FIRST, same_conversation


def _open_in_lane(entity, lane: str, by_visible: bool) -> ColumnElement[bool]:
    """`entity` is open in `lane` (and in the roles bound as "visible"): the lane page's conditions,
    written in as it writes them so that PostgreSQL uses the partial indexes on the open messages."""
    conditions = [
        entity.lane == literal(lane, Message.lane.type, literal_execute=True),
        entity.state.in_([literal(s, Message.state.type, literal_execute=True) for s in OPEN_STATES]),
    ]
    if by_visible:
        conditions.append(entity.role_id.in_(bindparam("visible", expanding=True)))
    return and_(*conditions)


def _end(message, lane: str, latest: bool):
    """The id of the latest (or the oldest) open message in `lane` of `message`'s conversation."""
    other = aliased(Message)
    order = (other.received_at.desc(), other.id.desc()) if latest else (other.received_at, other.id)
    end = select(other.id).where(same_conversation(other, message), _open_in_lane(other, lane, False))
    return case((message.candidate_id.is_(None), message.id), else_=end.order_by(*order).limit(1).scalar_subquery())


def _rows(lane: str, by_visible: bool):
    """A fresh alias of the lane's messages, each row's head, and the condition that one is a row.

    A row is a conversation, sorted by one of its messages: its oldest in a work queue (then by the
    head's id: listing._lane_keys), else its latest, which is also its head.
    """
    row = aliased(Message)
    if lane in OLDEST_FIRST:
        sorted_by, head = row.id == _end(row, lane, latest=False), _end(row, lane, latest=True)
    else:
        sorted_by, head = row.id == _end(row, lane, latest=True), row.id
    return row, head, and_(_open_in_lane(row, lane, by_visible), sorted_by)


@lru_cache(maxsize=32)
def _around(lane: str, by_visible: bool):
    """The rows sorted at the bound instant "at" and at the nearest instants before and after it that
    sort a row: their time and head. Built once per lane (building costs more than running it).

    Each nearest instant is a walk of ix_messages_open_lane_walk from "at" that stops at the first
    row (each message probed in ix_messages_open_conversation, as a lane page does). Ties at an
    instant are few, so they are ordered by the caller: PostgreSQL sorts nothing, and plans fewer
    subqueries than an ORDER BY on the head would need (planning is most of this query's time).
    """
    at = bindparam("at", type_=Message.received_at.type)
    earlier, _, is_row = _rows(lane, by_visible)
    before = select(earlier.received_at).where(is_row, earlier.received_at < at)
    later, _, is_row = _rows(lane, by_visible)
    after = select(later.received_at).where(is_row, later.received_at > at)
    row, head, is_row = _rows(lane, by_visible)
    instants = (
        before.order_by(earlier.received_at.desc()).limit(1).scalar_subquery(),
        at,
        after.order_by(later.received_at).limit(1).scalar_subquery(),
    )
    return select(row.received_at, head).where(is_row, row.received_at.in_(instants))


@lru_cache(maxsize=8)
def _conversation(lane: str):
    """The times and ids of the bound conversation's ("candidate", "role") open messages in `lane`."""
    return (
        select(Message.received_at, Message.id)
        .where(
            Message.candidate_id == bindparam("candidate"),
            func.coalesce(Message.role_id, 0) == bindparam("role"),
            _open_in_lane(Message, lane, False),
        )
        .order_by(Message.received_at, Message.id)
    )


def neighbours(session: Session, message: Message, visible: set[int] | None) -> tuple[int | None, int | None]:
    """The rows above and below `message`'s conversation on its lane's page: their message ids.

    A row is a conversation headed by its latest message (listing.py), so these step over the rest
    of the conversation, in the lane's order and within the viewer's roles (None: all).
    """
    if message.state not in OPEN_STATES or message.lane is None:
        return None, None
    lane = str(message.lane)
    ends = [(message.received_at, message.id)]
    if message.candidate_id is not None:
        values = {"candidate": message.candidate_id, "role": message.role_id or 0}
        ends = session.execute(_conversation(lane), values).all()
    oldest_first = lane in OLDEST_FIRST
    key = (ends[0 if oldest_first else -1][0], ends[-1][1])  # the row's (sort time, head), as listed
    values = {"at": key[0]} if visible is None else {"at": key[0], "visible": sorted(visible)}
    rows = [tuple(r) for r in session.execute(_around(lane, visible is not None), values)]
    earlier = max((r for r in rows if r < key), default=(None, None))[1]
    later = min((r for r in rows if r > key), default=(None, None))[1]
    return (earlier, later) if oldest_first else (later, earlier)
