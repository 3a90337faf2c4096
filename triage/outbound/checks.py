"""The last look at outbox rows before a delivery job sends them (triage.outbound.tasks.deliver).

Core statements, as in triage.outbound.delivery: this runs in a freshly forked work horse for
every job, where an ORM query would configure every mapper first.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update

from triage.db import Outbound, OutboxState, audit
from triage.db.base import Database, utcnow
from triage.outbound import unfilled

log = logging.getLogger(__name__)

_outbound = Outbound.__table__


def refuse_unfilled(database: Database, ids: Sequence[int]) -> list[int]:
    """Fail the queued rows among `ids` that carry an unfilled placeholder or instruction (made
    before the check existed, or edited in the database); return their ids."""
    t = _outbound.c
    refused: list[int] = []
    with database.engine.begin() as conn:
        rows = conn.execute(
            select(t.id, t.subject, t.body_text, t.body_html).where(t.id.in_(list(ids)), t.state == OutboxState.queued)
        ).all()
        for row in rows:
            problems = unfilled.problems(row.subject, row.body_text, row.body_html)
            if not problems:
                continue
            reason = f"not sent: {'; '.join(problems)}"
            done = conn.execute(
                update(_outbound)
                .where(t.id == row.id, t.state == OutboxState.queued)
                .values(state=OutboxState.failed, last_error=reason[:2000])
            ).rowcount
            if done:
                refused.append(row.id)
                audit.record_on(conn, "outbound.refused", "outbound", row.id, reason=reason[:500])
    if refused:
        log.warning("outbox: refused %s rows with unfilled placeholders: %s", len(refused), refused)
    return refused


def not_yet_due(database: Database, ids: Sequence[int], now: datetime | None = None) -> dict[datetime, list[int]]:
    """Never-tried queued rows among `ids` that are waiting out their undo window, by due time."""
    now = now or utcnow()
    t = _outbound.c
    later: dict[datetime, list[int]] = {}
    with database.engine.connect() as conn:
        for row_id, at in conn.execute(
            select(t.id, t.next_attempt_at).where(
                t.id.in_(list(ids)), t.state == OutboxState.queued, t.attempts == 0, t.next_attempt_at > now
            )
        ):
            later.setdefault(at, []).append(row_id)
    return later
