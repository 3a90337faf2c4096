"""Re-deliveries of a message without Message-ID are duplicates however a hop wrapped them."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select, update

from tests.intake.conftest import make_raw
from triage.db import Channel, Message
from triage.intake.accept import Delivery, accept, accept_many

BARE = make_raw(message_id=None, body="Any update on my application?", crlf=True).rstrip(b"\r\n")

WRAPPED = {
    "trailing line break (SMTP DATA)": BARE + b"\r\n",
    "trailing blank lines": BARE + b"\r\n\r\n\r\n",
    "LF line endings": BARE.replace(b"\r\n", b"\n") + b"\n",
    "mbox From_ line": b"From ada@example.org Fri Nov 20 09:00:00 2026\r\n" + BARE,
    "BOM": b"\xef\xbb\xbf" + BARE,
    "leading blank line": b"\r\n" + BARE,
}


def _count(database) -> int:
    with database.session() as s:
        return s.scalar(select(func.count()).select_from(Message))


@pytest.mark.parametrize("wrapped", WRAPPED.values(), ids=WRAPPED.keys())
def test_a_rewrapped_redelivery_without_message_id_is_a_duplicate(database, wrapped):
    first = accept(database, Delivery(BARE, Channel.http), None)
    second = accept(database, Delivery(wrapped, Channel.smtp), None)
    assert (second.id, second.duplicate, _count(database)) == (first.id, True, 1)


def test_a_redelivery_with_message_id_and_an_mbox_from_line_is_a_duplicate(database):
    raw = make_raw(message_id="<mbox-from@example.org>")
    first = accept(database, Delivery(raw, Channel.http), None)
    second = accept(database, Delivery(b"From ada@example.org Fri Nov 20 09:00:00 2026\n" + raw, Channel.imap), None)
    assert (second.id, second.duplicate) == (first.id, True)


CHANGED = {
    "other last word": BARE.replace(b"application?", b"application!"),
    "space inside a line": BARE.replace(b"my application", b"my  application"),
    "extra line at the end": BARE + b"\r\nThanks",
    "blank line inside the body": BARE.replace(b"Any update", b"\r\nAny update"),
}


@pytest.mark.parametrize("changed", CHANGED.values(), ids=CHANGED.keys())
def test_messages_without_message_id_that_differ_in_content_stay_apart(database, changed):
    accepted = accept_many(database, [Delivery(BARE, Channel.http), Delivery(changed, Channel.http)], None)
    assert ([a.duplicate for a in accepted], _count(database)) == ([False, False], 2)


def _store_as_before(database, raw: bytes, old_key: str) -> int:
    """A row as the earlier dedupe rule stored it: under that rule's key."""
    accepted = accept(database, Delivery(raw, Channel.http), None)
    with database.session() as s:
        s.execute(update(Message).where(Message.id == accepted.id).values(dedupe_key=old_key))
        s.commit()
    return accepted.id


def test_a_message_stored_under_the_earlier_key_is_still_recognised(database):
    # The earlier rule: the whole raw, line endings aside; BARE has no line break at its end, so
    # today's key differs from the one its row was stored under.
    old_id = _store_as_before(database, BARE, hashlib.sha256(b"raw\0" + BARE.replace(b"\r\n", b"\n")).hexdigest())
    again = accept(database, Delivery(BARE, Channel.http), None)
    assert (again.id, again.duplicate, _count(database)) == (old_id, True, 1)


def test_a_message_stored_under_the_earlier_key_is_recognised_in_a_large_batch(database):
    old_id = _store_as_before(database, BARE, hashlib.sha256(b"raw\0" + BARE.replace(b"\r\n", b"\n")).hexdigest())
    others = [make_raw(message_id=None, subject=f"note {i}") for i in range(60)]  # COPY on PostgreSQL
    accepted = accept_many(database, [Delivery(r, Channel.import_) for r in [*others, BARE]], None)
    assert (accepted[-1].id, accepted[-1].duplicate, _count(database)) == (old_id, True, 61)
