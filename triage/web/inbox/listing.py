"""One page of a lane or of search results: the rows the list shows, in one statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import Integer, bindparam, case, func, literal, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement

from triage.db import Application, AppStage, Candidate, JobRole, Lane, Message, MessageState
from triage.inbox.operations import OPEN_STATES
from triage.web.inbox import search
from triage.web.inbox.queries import OLDEST_FIRST, PAGE_SIZE, STATE_VIEWS, Filters, day_start, same_conversation


def _filtered(
    query,
    filters: Filters,
    visible: set[int] | None,
    match: ColumnElement[bool] | None,
    state: MessageState | None = None,
    entity=Message,
):
    """The URL's filters on a query of `entity` (Message or an alias), as named parameters (`_values`).

    A search (`match`) spans every lane and state; a lane page is one lane and one state.
    """
    m = entity
    if visible is not None:
        query = query.where(m.role_id.in_(bindparam("visible", expanding=True)))
    if filters.role_id is not None:
        query = query.where(m.role_id == bindparam("role_id"))
    if filters.intent:
        query = query.where(m.intent == bindparam("intent"))
    if filters.since:
        query = query.where(m.received_at >= bindparam("since", type_=Message.received_at.type))
    if filters.until:
        query = query.where(m.received_at < bindparam("until", type_=Message.received_at.type))
    if match is not None:
        return query.where(match)
    if state is not None:  # the Archived and Snoozed views: one state, every lane
        return query.where(m.state == literal(state, Message.state.type, literal_execute=True))
    return query.where(
        m.lane == _inline("lane", Message.lane.type),
        m.state.in_([literal(s, Message.state.type, literal_execute=True) for s in OPEN_STATES]),
    )


def _inline(name: str, type_=Integer()):
    """A parameter written into the SQL rather than bound.

    With the lane and the limits bound, PostgreSQL plans a lane page afresh on every request
    (its generic plan looks costlier than a custom one), about 2 ms of a 3 ms query; written in,
    each lane is its own prepared statement, planned once per connection.
    """
    return bindparam(name, type_=type_, literal_execute=True)


def _values(filters: Filters, visible: set[int] | None) -> dict:
    values = {
        "lane": filters.lane,
        "wanted": filters.page * PAGE_SIZE + 1,
        "skip": (filters.page - 1) * PAGE_SIZE,
        "rows": PAGE_SIZE + 1,
    }
    if visible is not None:
        values["visible"] = sorted(visible)
    if filters.role_id is not None:
        values["role_id"] = filters.role_id
    if filters.intent:
        values["intent"] = filters.intent
    if filters.since:
        values["since"] = day_start(filters.since)
    if filters.until:
        values["until"] = day_start(filters.until + timedelta(days=1))
    return values


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a lane: only what the list shows (no raw bytes, no full body)."""

    id: int
    subject: str | None
    snippet: str
    received_at: datetime
    state: MessageState
    lane: Lane | None
    intent: str | None
    reasons: list
    due_at: datetime | None
    role_reference: str | None
    role_title: str | None
    stage: AppStage | None
    who: str
    count: int = 1  # open messages in this conversation (candidate and role) in the lane


_ROW_COLUMNS = (
    Message.id,
    Message.subject,
    func.substr(Message.reply_text, 1, 140),
    Message.received_at,
    Message.state,
    Message.lane,
    Message.intent,
    Message.reasons,
    Message.due_at,
    JobRole.reference,
    JobRole.title,
    Application.stage,
    Candidate.name,
    Message.original_from_name,
    Message.from_name,
    Message.original_from_address,
    Message.from_address,
)


def _row(values) -> Row:
    *head, name, ofn, fn, ofa, fa, count = values
    mid, subject, snippet, *rest = head
    return Row(mid, subject, snippet or "", *rest, who=name or ofn or fn or ofa or fa or "Unknown sender", count=count)


def _order(received_at, message_id, newest_first: bool) -> tuple:
    return (received_at.desc(), message_id.desc()) if newest_first else (received_at, message_id)


def _in_conversation(message, filters: Filters, visible: set[int] | None, *columns):
    """`columns` of the page's messages in `message`'s conversation (a probe of its index entries)."""
    other = aliased(Message)
    query = _filtered(select(*(column(other) for column in columns)), filters, visible, None, entity=other)
    return other, query.where(same_conversation(other, message))


def _end(message, filters: Filters, visible: set[int] | None, latest: bool):
    """The id of the latest (or the oldest) of the page's messages in `message`'s conversation.

    A scalar subquery, planned on its own: written as NOT EXISTS it became an anti-join whose
    planning, over every index of the table, took about 1 ms more: as long as the page takes to run.
    """
    other, mine = _in_conversation(message, filters, visible, lambda other: other.id)
    end = mine.order_by(*_order(other.received_at, other.id, newest_first=latest)).limit(1)
    return case((message.candidate_id.is_(None), message.id), else_=end.scalar_subquery())


def _count(message, filters: Filters, visible: set[int] | None):
    """How many of the page's messages `message`'s conversation holds (1 with no candidate)."""
    _, mine = _in_conversation(message, filters, visible, lambda _: func.count())
    return case((message.candidate_id.is_(None), 1), else_=mine.scalar_subquery())


def _ends(filters: Filters, visible: set[int] | None, newest_first: bool):
    """The lane page's messages that end their conversation: its latest (newest first) or its oldest.

    Walked in the lane's order over ix_messages_open_lane_walk (or ix_messages_open_role_lane), each
    checked with a probe of a few entries of ix_messages_open_conversation: a page reads about as
    many index entries as it shows, and no table rows but its own.
    """
    message = aliased(Message)
    ends = select().where(message.id == _end(message, filters, visible, newest_first))
    return message, _filtered(ends, filters, visible, None, entity=message)


def _lane_keys(filters: Filters, visible: set[int] | None, newest_first: bool):
    """One lane page of conversations (+1 to tell if there is more): each one's latest message and count.

    A work queue (oldest first) is ordered by each conversation's oldest open message, the one
    whose clock runs out first; an informational lane by its newest. Ties on that time go by the
    latest message's id.
    """
    if newest_first:  # each conversation's latest message, in the lane's order: the page itself
        latest, ends = _ends(filters, visible, newest_first)
        return (
            ends.add_columns(latest.id, latest.received_at, _count(latest, filters, visible).label("n"))
            .order_by(*_order(latest.received_at, latest.id, newest_first))
            .limit(_inline("wanted"))
            .subquery()
        )
    # Each conversation's oldest message, oldest first, then by the latest message's id: walked in
    # time order, PostgreSQL sorts only each run of equal times (an incremental sort) and stops
    # once it has the page.
    oldest, ends = _ends(filters, visible, newest_first)
    page = ends.add_columns(
        _end(oldest, filters, visible, latest=True).label("id"),
        oldest.received_at,
        _count(oldest, filters, visible).label("n"),
    ).subquery()
    return (
        select(page.c.id, page.c.received_at, page.c.n)
        .order_by(*_order(page.c.received_at, page.c.id, newest_first))
        .limit(_inline("wanted"))
        .subquery()
    )


def _state_keys(filters: Filters, visible: set[int] | None, state: MessageState):
    """Ids of one page of the Archived or Snoozed view, newest first, one row per message."""
    return (
        _filtered(select(Message.id, Message.received_at, literal(1).label("n")), filters, visible, None, state)
        .order_by(Message.received_at.desc(), Message.id.desc())
        .limit(_inline("wanted"))
        .subquery()
    )


def _search_keys(session: Session, filters: Filters, visible: set[int] | None):
    """Ids of one page of search results, newest first, across every lane and state."""
    return (
        _filtered(
            select(Message.id, Message.received_at, literal(1).label("n")),
            filters,
            visible,
            search.matches(session, filters.q),
        )
        .order_by(Message.received_at.desc(), Message.id.desc())
        .limit(_inline("wanted"))
        .subquery()
    )


def _named(keys, newest_first: bool):
    """The page's rows with their candidate, role and stage, joined to those 51 rows only."""
    return (
        select(*_ROW_COLUMNS, keys.c.n)
        .select_from(keys)
        .join(Message, Message.id == keys.c.id)
        .outerjoin(Candidate, Candidate.id == Message.candidate_id)
        .outerjoin(JobRole, JobRole.id == Message.role_id)
        .outerjoin(Application, Application.id == Message.application_id)
        .order_by(*_order(keys.c.received_at, keys.c.id, newest_first))
        .offset(_inline("skip"))
        .limit(_inline("rows"))
    )


@lru_cache(maxsize=256)
def _lane_page(newest_first: bool, by_visible: bool, by_role: bool, by_intent: bool, by_since: bool, by_until: bool):
    """The lane-page statement for one combination of filters, built once (about 1 ms to build)."""
    shape = Filters(
        role_id=0 if by_role else None,
        intent="x" if by_intent else None,
        since=date.min if by_since else None,
        until=date.min if by_until else None,
    )
    return _named(_lane_keys(shape, set() if by_visible else None, newest_first), newest_first)


def list_messages(session: Session, filters: Filters, visible: set[int] | None) -> tuple[list[Row], bool]:
    """One page of a lane or of search results (and whether there is a next page), in one statement."""
    if filters.searching:
        query = _named(_search_keys(session, filters, visible), newest_first=True)
    elif filters.lane in STATE_VIEWS:
        query = _named(_state_keys(filters, visible, MessageState(filters.lane)), newest_first=True)
    else:
        query = _lane_page(
            filters.lane not in OLDEST_FIRST,
            visible is not None,
            filters.role_id is not None,
            bool(filters.intent),
            filters.since is not None,
            filters.until is not None,
        )
    rows = [_row(r) for r in session.execute(query, _values(filters, visible))]
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
