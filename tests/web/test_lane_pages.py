"""A lane page against a plain-Python model of it: the same conversations, order, counts and pages.

The data is made to be awkward: many messages at the same instant (ties at page boundaries), messages
with no candidate or no role, closed messages, and a candidate writing about two roles.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from triage.db import Candidate, Channel, Lane, Message, MessageState
from triage.web.inbox.listing import list_messages
from triage.web.inbox.queries import OLDEST_FIRST, PAGE_SIZE, Filters

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
OPEN = (MessageState.triaged, MessageState.held)


@pytest.fixture
def mailbox(db_session, make_role):
    """About 900 messages over 3 roles (and none), 150 candidates, 24 distinct instants."""
    rng = random.Random(13)
    roles = [make_role(f"Role {i}") for i in range(3)]
    candidates = [Candidate(name=f"Candidate {i}", email=f"lane-page-{i}@example.org") for i in range(150)]
    db_session.add_all(candidates)
    db_session.flush()
    messages = []
    for i in range(900):
        lane = rng.choice((Lane.today, Lane.held, Lane.fyi))
        closed = rng.random() < 0.2
        state = MessageState.archived if closed else (MessageState.held if lane == Lane.held else MessageState.triaged)
        raw = f"Subject: {i}\r\n\r\nlane page {i}".encode()
        messages.append(
            Message(
                raw=raw,
                size=len(raw),
                content_hash=hashlib.sha256(raw).hexdigest(),
                dedupe_key=f"lane-page-{i}",
                channel=Channel.http,
                received_at=START + timedelta(hours=rng.randrange(24)),
                state=state,
                subject=f"Message {i}",
                reply_text="text",
                lane=lane,
                intent=rng.choice(("status_check", "info_response")),
                reasons=[],
                candidate_id=None if rng.random() < 0.1 else rng.choice(candidates).id,
                role_id=None if rng.random() < 0.05 else rng.choice(roles).id,
            )
        )
    db_session.add_all(messages)
    db_session.commit()
    return roles, messages


def _model(messages, filters: Filters, visible: set[int] | None) -> list[tuple[int, int]]:
    """(id, count) of every row of the lane, in order: what the pages must show, page after page."""
    conversations: dict[tuple, list[Message]] = {}
    for m in messages:
        if m.lane != filters.lane or m.state not in OPEN:
            continue
        if visible is not None and m.role_id not in visible:
            continue
        if filters.role_id is not None and m.role_id != filters.role_id:
            continue
        if filters.intent and m.intent != filters.intent:
            continue
        day = m.received_at.date()
        if (filters.since and day < filters.since) or (filters.until and day > filters.until):
            continue
        key = (m.candidate_id if m.candidate_id is not None else -m.id, m.role_id or 0)
        conversations.setdefault(key, []).append(m)
    newest_first = filters.lane not in OLDEST_FIRST
    rows = []
    for group in conversations.values():
        latest = max(group, key=lambda m: (m.received_at, m.id))
        sort_at = (max if newest_first else min)(m.received_at for m in group)
        rows.append((sort_at, latest.id, len(group)))
    rows.sort(reverse=newest_first)
    return [(mid, n) for _, mid, n in rows]


def _pages(db_session, filters: Filters, visible: set[int] | None) -> list[tuple[int, int]]:
    shown, page, more = [], 1, True
    while more:
        rows, more = list_messages(db_session, Filters(**{**filters.__dict__, "page": page}), visible)
        assert len(rows) == PAGE_SIZE or not more
        shown += [(row.id, row.count) for row in rows]
        page += 1
    return shown


@pytest.mark.parametrize("lane", ["today", "fyi", "held"])
def test_every_page_of_a_lane_matches_the_model(db_session, mailbox, lane):
    _, messages = mailbox
    expected = _model(messages, Filters(lane=lane), None)
    assert len(expected) > 2 * PAGE_SIZE and _pages(db_session, Filters(lane=lane), None) == expected


@pytest.mark.parametrize("lane", ["today", "fyi"])
def test_filtered_lane_pages_match_the_model(db_session, mailbox, lane):
    roles, messages = mailbox
    cases = [
        (Filters(lane=lane, role_id=roles[1].id), None),
        (Filters(lane=lane, intent="status_check"), None),
        (Filters(lane=lane, since=date(2026, 11, 2), until=date(2026, 11, 2)), None),
        (Filters(lane=lane), {roles[0].id, roles[2].id}),
        (Filters(lane=lane, role_id=roles[2].id, intent="info_response"), {roles[2].id}),
    ]
    got = [_pages(db_session, filters, visible) for filters, visible in cases]
    assert got == [_model(messages, filters, visible) for filters, visible in cases]
