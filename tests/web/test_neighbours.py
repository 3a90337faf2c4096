"""Previous and next on a message page step through the lane's rows: conversations, as the list shows them.

The lane page (listing.list_messages) is the oracle: for every open message of a lane, previous and
next must be the heads of the rows just above and below the row its conversation is on.
"""

from __future__ import annotations

import hashlib
import random
import re
from datetime import UTC, datetime, timedelta

import pytest

from triage.db import Candidate, Channel, Lane, Message, MessageState
from triage.web.inbox.listing import list_messages
from triage.web.inbox.neighbours import neighbours
from triage.web.inbox.queries import OLDEST_FIRST, Filters

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
OPEN = (MessageState.triaged, MessageState.held)
LANES = ("today", "fyi", "held")
assert "today" in OLDEST_FIRST and "fyi" not in OLDEST_FIRST  # both orders are covered


def _message(i: int, lane: str, at: datetime, candidate_id: int | None, role_id: int | None, closed=False) -> Message:
    raw = f"Subject: {i}\r\n\r\nneighbours {i}".encode()
    open_state = MessageState.held if lane == "held" else MessageState.triaged
    return Message(
        raw=raw,
        size=len(raw),
        content_hash=hashlib.sha256(raw).hexdigest(),
        dedupe_key=f"neighbours-{i}",
        channel=Channel.http,
        received_at=at,
        state=MessageState.archived if closed else open_state,
        subject=f"Message {i}",
        reply_text="text",
        lane=Lane(lane),
        intent="status_check",
        reasons=[],
        candidate_id=candidate_id,
        role_id=role_id,
    )


@pytest.fixture
def mailbox(db_session, make_role):
    """Conversations of 1-3 open messages per lane, interleaved in time, with ties and awkward cases.

    Six instants only, so conversations tie on their times; some messages have no candidate or no
    role, some are closed, and some candidates write about two roles.
    """
    rng = random.Random(5)
    roles = [make_role(f"Role {i}") for i in range(3)]
    candidates = [Candidate(name=f"Candidate {i}", email=f"neighbours-{i}@example.org") for i in range(45)]
    db_session.add_all(candidates)
    db_session.flush()
    messages, n = [], 0
    for candidate in candidates:
        for _ in range(1 if rng.random() < 0.8 else 2):  # a second role now and then
            lane, role = rng.choice(LANES), None if rng.random() < 0.1 else rng.choice(roles).id
            for _ in range(rng.choice((1, 2, 2, 3, 3))):
                at = START + timedelta(hours=rng.randrange(6))
                messages.append(_message(n, lane, at, candidate.id, role, closed=rng.random() < 0.1))
                n += 1
    for _ in range(6):  # no candidate: a conversation of its own each
        at = START + timedelta(hours=rng.randrange(6))
        messages.append(_message(n, rng.choice(LANES), at, None, rng.choice(roles).id))
        n += 1
    db_session.add_all(messages)
    db_session.commit()
    return roles, messages


def _rows(db_session, lane: str, visible: set[int] | None) -> list[int]:
    """The head message id of every row of the lane page, page after page."""
    heads, page, more = [], 1, True
    while more:
        rows, more = list_messages(db_session, Filters(lane=lane, page=page), visible)
        heads += [row.id for row in rows]
        page += 1
    return heads


def _conversation(message: Message) -> tuple:
    return (message.candidate_id if message.candidate_id is not None else -message.id, message.role_id or 0)


def _expected(messages, heads: list[int], message: Message) -> tuple[int | None, int | None]:
    """The heads of the rows above and below the row of `message`'s conversation."""
    by_id = {m.id: m for m in messages}
    at = [_conversation(by_id[head]) for head in heads].index(_conversation(message))
    return (heads[at - 1] if at > 0 else None, heads[at + 1] if at + 1 < len(heads) else None)


def _open_in(messages, lane: str, visible: set[int] | None) -> list[Message]:
    return [
        m for m in messages if str(m.lane) == lane and m.state in OPEN and (visible is None or m.role_id in visible)
    ]


@pytest.mark.parametrize("lane", LANES)
def test_previous_and_next_are_the_rows_around_the_conversation(db_session, mailbox, lane):
    _, messages = mailbox
    heads = _rows(db_session, lane, None)
    shown = _open_in(messages, lane, None)
    assert len(heads) > 10 and len(shown) > len(heads)  # rows of several messages, so non-heads too
    got = {m.id: neighbours(db_session, m, None) for m in shown}
    assert got == {m.id: _expected(messages, heads, m) for m in shown}


@pytest.mark.parametrize("lane", ["today", "fyi"])
def test_a_line_managers_neighbours_are_the_rows_of_their_roles(db_session, mailbox, lane):
    roles, messages = mailbox
    visible = {roles[0].id, roles[2].id}
    heads = _rows(db_session, lane, visible)
    shown = _open_in(messages, lane, visible)
    got = {m.id: neighbours(db_session, m, visible) for m in shown}
    assert got == {m.id: _expected(messages, heads, m) for m in shown}


def test_a_closed_message_has_no_neighbours(db_session, mailbox):
    _, messages = mailbox
    closed = next(m for m in messages if m.state == MessageState.archived)
    assert neighbours(db_session, closed, None) == (None, None)


def _links(client, message_id: int) -> tuple[int | None, int | None]:
    page = client.get(f"/messages/{message_id}").get_data(as_text=True)
    found = [re.search(rf'href="/messages/(\d+)" id="{name}-message"', page) for name in ("prev", "next")]
    return tuple(int(m.group(1)) if m else None for m in found)


def test_the_message_page_steps_over_the_rest_of_a_conversation(
    client, login, make_user, make_role, make_candidate, make_message
):
    """Today, oldest first: Ada's row (her oldest at 9:00) then Bob's (10:00), each headed by its latest.

    From either message of a conversation, Previous and Next are the other row's head; a role the
    line manager may not see (Cy's, at 9:30) is no row of theirs.
    """
    mine, theirs = make_role("Nurse"), make_role("Chef")
    ada, bob, cy = make_candidate("Ada"), make_candidate("Bob"), make_candidate("Cy")
    ada_first = make_message(role=mine, candidate_id=ada.id, received_at=START)
    make_message(role=theirs, candidate_id=cy.id, received_at=START + timedelta(minutes=30))
    bob_first = make_message(role=mine, candidate_id=bob.id, received_at=START + timedelta(hours=1))
    ada_last = make_message(role=mine, candidate_id=ada.id, received_at=START + timedelta(hours=2))
    bob_last = make_message(role=mine, candidate_id=bob.id, received_at=START + timedelta(hours=3))
    login(make_user("line_manager", roles=[mine]))
    lane = client.get("/?lane=today").get_data(as_text=True)
    rows = [int(i) for i in re.findall(r'<tr class="msg-row[^"]*" id="m(\d+)"', lane)]
    links = {m.id: _links(client, m.id) for m in (ada_first, ada_last, bob_first, bob_last)}
    assert rows == [ada_last.id, bob_last.id] and links == {
        ada_first.id: (None, bob_last.id),
        ada_last.id: (None, bob_last.id),
        bob_first.id: (ada_last.id, None),
        bob_last.id: (ada_last.id, None),
    }


def test_archiving_a_conversation_opens_the_next_rows_head(
    client, login, make_user, make_role, make_candidate, make_message, csrf
):
    """Ada's row (9:00 and 11:00) then Bob's (10:00 and 12:00): archiving from Ada's first message opens Bob's head."""
    role = make_role()
    ada, bob = make_candidate("Ada"), make_candidate("Bob")
    ada_first = make_message(role=role, candidate_id=ada.id, received_at=START)
    make_message(role=role, candidate_id=bob.id, received_at=START + timedelta(hours=1))
    make_message(role=role, candidate_id=ada.id, received_at=START + timedelta(hours=2))
    bob_last = make_message(role=role, candidate_id=bob.id, received_at=START + timedelta(hours=3))
    login(make_user())
    response = client.post(f"/messages/{ada_first.id}/archive", data={"csrf_token": csrf(), "next": "message"})
    assert response.headers["Location"] == f"/messages/{bob_last.id}"
