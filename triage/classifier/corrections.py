"""Corrections as training data: export them, count and mark the unused ones, list and withdraw them.

A withdrawn correction (an admin found the label wrong) stays in the table for the trail but no
longer counts: export, and so the next retrain, leaves it out.

Corrections hold candidate mail, so they stay in the database (and, when exported to a file,
under var/); they never go into models/corpus or anywhere else git tracks.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from triage.config import Settings
from triage.db import Correction, Message, User
from triage.errors import BadInput, NotFound
from triage.inbox.operations import INTENTS

log = logging.getLogger(__name__)


class Record(NamedTuple):
    """One message's corrected label, indexable as (subject, body, intent) like a corpus Example."""

    subject: str
    body: str
    intent: str
    message_id: int
    correction_ids: tuple[int, ...]  # every correction of this message the record stands for


def export(session: Session) -> list[Record]:
    """One record per corrected message: its subject and reply text (or body), the latest to_intent."""
    rows = session.execute(
        select(
            Correction.id,
            Correction.message_id,
            Correction.to_intent,
            Message.subject,
            Message.reply_text,
            Message.body_text,
        )
        .join(Message, Message.id == Correction.message_id)
        .where(Correction.to_intent.is_not(None), Correction.withdrawn_at.is_(None))
        .order_by(Correction.message_id, Correction.at, Correction.id)
    )
    latest: dict[int, tuple] = {}
    ids: dict[int, list[int]] = {}
    for row in rows:
        latest[row.message_id] = row  # ordered by time, so the last one seen wins
        ids.setdefault(row.message_id, []).append(row.id)
    records = []
    for message_id, row in latest.items():
        # The classifier reads the new text only (quotes and signature stripped), so train on that.
        body = (row.reply_text or "").strip() or (row.body_text or "").strip()
        subject = (row.subject or "").strip()
        if not (body or subject):
            continue  # nothing to learn from (unreadable mail)
        if row.to_intent not in INTENTS:
            log.warning("correction %d names no known intent; left out", row.id)
            continue
        records.append(Record(subject, body, row.to_intent, message_id, tuple(ids[message_id])))
    log.info("exported %d corrected message(s)", len(records))
    return records


def unused_count(session: Session) -> int:
    """Corrections with an intent that no active model has learned from yet (withdrawn ones never will)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Correction)
            .where(
                Correction.to_intent.is_not(None), Correction.used_in_model.is_(None), Correction.withdrawn_at.is_(None)
            )
        )
        or 0
    )


class Entry(NamedTuple):
    """One correction as an admin reviews it: who moved which message from which intent to which."""

    id: int
    at: datetime
    user_id: int | None
    by: str | None
    message_id: int
    subject: str | None
    from_intent: str | None
    to_intent: str
    used_in_model: str | None
    withdrawn_at: datetime | None
    withdrawn_by: str | None


def listing(session: Session, *, limit: int = 50, before: int | None = None, user_id: int | None = None) -> list[Entry]:
    """Corrections that name an intent, newest first; `before` (an id) pages back, `user_id` filters."""
    author, withdrawer = aliased(User), aliased(User)
    query = (
        select(
            Correction.id,
            Correction.at,
            Correction.user_id,
            author.name,
            Correction.message_id,
            Message.subject,
            Correction.from_intent,
            Correction.to_intent,
            Correction.used_in_model,
            Correction.withdrawn_at,
            withdrawer.name,
        )
        .join(Message, Message.id == Correction.message_id)
        .outerjoin(author, author.id == Correction.user_id)
        .outerjoin(withdrawer, withdrawer.id == Correction.withdrawn_by)
        .where(Correction.to_intent.is_not(None))
        .order_by(Correction.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(Correction.id < before)
    if user_id is not None:
        query = query.where(Correction.user_id == user_id)
    return [Entry(*row) for row in session.execute(query)]


def withdraw(session: Session, correction_id: int, user: User, now: datetime) -> Correction | None:
    """Take a correction out of training for good; None when it was already withdrawn. The caller commits.

    The row and its message stay as they are: the trail keeps who labelled what, and moving the
    message in the inbox is a recruiter's decision, not this one's.
    """
    correction = session.get(Correction, correction_id)
    if correction is None or correction.to_intent is None:
        raise NotFound(f"no correction {correction_id}")
    # A conditional UPDATE, so that of two admins clicking at once only one withdraws (and is audited).
    done = session.execute(
        update(Correction)
        .where(Correction.id == correction_id, Correction.withdrawn_at.is_(None))
        .values(withdrawn_at=now, withdrawn_by=user.id)
    ).rowcount
    return correction if done else None


def mark_used(session: Session, records: Iterable[Record], model_name: str) -> int:
    """Record that model_name learned from these corrections (those not already marked); the caller commits."""
    ids = sorted({i for record in records for i in record.correction_ids})
    marked = 0
    for start in range(0, len(ids), 500):
        result = session.execute(
            update(Correction)
            .where(Correction.id.in_(ids[start : start + 500]), Correction.used_in_model.is_(None))
            .values(used_in_model=model_name[:80])
        )
        marked += result.rowcount or 0
    return marked


def write_jsonl(records: Sequence[Record], path: Path, settings: Settings) -> Path:
    """Write records as corpus-style JSON lines; only under var/, never into a tracked folder."""
    path = Path(path).resolve()
    if not path.is_relative_to(settings.var_dir.resolve()):
        raise BadInput(f"corrections hold candidate mail; write them under {settings.var_dir}, not {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for r in records:
            out.write(
                json.dumps(
                    {
                        "id": f"correction-{r.message_id}",
                        "subject": r.subject,
                        "body": r.body,
                        "intent": r.intent,
                        "provenance": "inbox correction",
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    path.chmod(0o600)
    return path
