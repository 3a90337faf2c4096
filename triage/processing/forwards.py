"""Forwards in the pipeline: whose forwards are unwrapped, the candidate's date, unregistered forwarders.

A team member forwards from their login address or from a verified forwarding address
(triage.accounts.forwarding). Mail that looks like a forward but comes from neither, and not
from a candidate, is not taken as the candidate's: it goes to Review asking for the address to
be registered, and no candidate is made in the forwarder's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.accounts import forwarding
from triage.db import Candidate, one_of
from triage.processing.matching import Team as TeamAddresses
from triage.processing.reading import Reading, clean

TEAM_SENDER_PROBLEM = "sent by a team member, not a forwarded candidate mail"  # matching's words


def with_forwarding_addresses(session: Session, team: TeamAddresses) -> TeamAddresses:
    """The team, with every verified forwarding address counted as its member's own."""
    extra = forwarding.verified(session)
    if not extra:
        return team
    return TeamAddresses({**extra, **team.users}, team.aliases)


def unregistered_forwarders(session: Session, readings: Sequence[Reading]) -> frozenset[str]:
    """Senders outside the team whose mail looks like a forward, and who are not candidates."""
    senders = {r.from_address for r in readings if r.unregistered_forward and r.from_address and not r.error}
    if not senders:
        return frozenset()
    known = set(session.scalars(select(Candidate.email).where(one_of(session, Candidate.email, senders))))
    return frozenset(senders - known)


def hint(reading: Reading) -> str:
    """The Review reason for a forward from an address no team member has registered."""
    return clean(f"looks like a forward from {reading.unregistered_forward}? — register this address")[:500]


# A forward's printed date that is later than the forward itself is a wrong clock (or a naive
# local time read as UTC): a day of slack, then the forward's own time is the better guess.
CLOCK_SLACK = timedelta(days=1)


def candidate_time(received_at: datetime, reading: Reading) -> datetime:
    """When the candidate wrote: the original's date for a team member's forward, when it is known.

    Routing counts waiting windows from it and the inbox shows it as Received; the forward's own
    arrival is kept as the message's `forwarded_at`."""
    sent = reading.sent_at
    if reading.forwarded_by is None or sent is None or sent > received_at + CLOCK_SLACK:
        return received_at
    return sent
