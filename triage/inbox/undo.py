"""Undo of an inbox action: what the messages were before, kept in the action's audit record.

An action (archive, snooze, move, hold, a bulk action) snapshots its messages first; `remember`
records the snapshot with the corrections the action made; `undo` puts the messages back and
takes the corrections out of the training data. One person undoes only their own actions.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from triage.db import Application, AppStage, AuditEvent, Correction, Lane, Message, MessageState, User, audit
from triage.errors import BadInput

ACTION = "inbox.undoable"
UNDO_WINDOW = timedelta(hours=24)  # an undo offered in a flash message; a day is ample and bounded


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def snapshot(messages: list[Message]) -> dict:
    """What undo needs to put these messages (and their applications' stages) back."""
    applications = {m.application.id: m.application for m in messages if m.application is not None}
    return {
        "messages": [
            {
                "id": m.id,
                "state": str(m.state),
                "lane": str(m.lane) if m.lane else None,
                "intent": m.intent,
                "snoozed_until": _iso(m.snoozed_until),
                "due_at": _iso(m.due_at),
                "is_chaser": bool(m.is_chaser),
                "reasons": list(m.reasons or []),
            }
            for m in messages
        ],
        "applications": [
            {
                "id": a.id,
                "stage": str(a.stage),
                "stage_changed_at": _iso(a.stage_changed_at),
                "rejected_at": _iso(a.rejected_at),
            }
            for a in applications.values()
        ],
    }


def remember(session: Session, user: User, what: str, before: dict) -> AuditEvent:
    """Record an action as undoable, with the corrections it added (flushes to learn their ids)."""
    made = [obj for obj in session.new if isinstance(obj, Correction)]
    session.flush()
    return audit.record(
        session, user.id, ACTION, "message", None, what=what, before=before, corrections=[c.id for c in made]
    )


def undo(session: Session, event_id: int, user: User, now: datetime) -> int:
    """Put back what an action changed; return how many messages. BadInput when it cannot be undone."""
    event = session.get(AuditEvent, event_id)
    if event is None or event.action != ACTION or event.user_id != user.id:
        raise BadInput("there is no such action of yours to undo")
    details = dict(event.details or {})
    if details.get("undone_at"):
        raise BadInput("that action was already undone")
    if now - event.at > UNDO_WINDOW:
        raise BadInput("that action is too old to undo; move the messages back by hand")
    before = details.get("before") or {}
    rows = {m["id"]: m for m in before.get("messages", [])}
    for message in session.scalars(select(Message).where(Message.id.in_(rows))):
        was = rows[message.id]
        message.state = MessageState(was["state"])
        message.lane = Lane(was["lane"]) if was["lane"] else None
        message.intent = was["intent"]
        message.snoozed_until = _moment(was["snoozed_until"])
        message.due_at = _moment(was["due_at"])
        message.is_chaser = was["is_chaser"]
        message.reasons = was["reasons"]
    apps = {a["id"]: a for a in before.get("applications", [])}
    if apps:
        for application in session.scalars(select(Application).where(Application.id.in_(apps))):
            was = apps[application.id]
            application.stage = AppStage(was["stage"])
            application.stage_changed_at = _moment(was["stage_changed_at"])
            application.rejected_at = _moment(was["rejected_at"])
    if details.get("corrections"):
        # Only corrections no model has learned from yet; a used one stays as the record of what was learned.
        session.execute(
            delete(Correction).where(Correction.id.in_(details["corrections"]), Correction.used_in_model.is_(None))
        )
    event.details = {**details, "undone_at": now.isoformat()}  # a new dict, so the JSON column sees the change
    audit.record(session, user.id, "message.undo", "message", None, undid=event.id, ids=sorted(rows))
    return len(rows)
