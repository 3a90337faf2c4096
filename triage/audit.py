"""Record who did what; every state-changing action calls `record`."""
from __future__ import annotations

from sqlalchemy.orm import Session

from triage.db import AuditEvent


def record(session: Session, user_id: int | None, action: str, target_type: str,
           target_id: int | None, **details) -> AuditEvent:
    event = AuditEvent(user_id=user_id, action=action, target_type=target_type,
                       target_id=target_id, details=details)
    session.add(event)
    return event
