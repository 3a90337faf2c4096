"""Decisions about an unknown sender from the Review lane: add them as an applicant to a role.

The sender's open Review messages go back to `received` so the pipeline routes them again, now
with an application; the decision is audited (and the pipeline's new placement is what a person
sees next).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.db import Application, AppStage, Candidate, JobRole, Lane, Message, MessageState, audit
from triage.errors import BadInput

REOPENED = (MessageState.triaged, MessageState.failed)


def add_as_applicant(
    session: Session, message: Message, role: JobRole, stage: AppStage | str, actor_id: int | None, now: datetime
) -> list[int]:
    """Make the sender an applicant of `role`; return the ids of their messages to route again."""
    try:
        stage = AppStage(stage)
    except ValueError:
        raise BadInput(f"{stage!r} is not a stage") from None
    candidate = message.candidate
    if candidate is None:
        address = (message.original_from_address or message.from_address or "").strip().lower()
        if "@" not in address:
            raise BadInput("this message has no sender address to add")
        candidate = session.scalar(select(Candidate).where(Candidate.email == address))
        if candidate is None:
            candidate = Candidate(email=address, name=message.original_from_name or message.from_name or "")
            session.add(candidate)
            session.flush()
    existing = session.scalar(
        select(Application).where(Application.candidate_id == candidate.id, Application.role_id == role.id)
    )
    if existing is not None:
        raise BadInput(f"{candidate.email} already applies to {role.reference} ({existing.stage.value})")
    application = Application(
        candidate_id=candidate.id, role_id=role.id, stage=stage, applied_at=message.received_at, stage_changed_at=now
    )
    session.add(application)
    session.flush()
    again = list(
        session.scalars(
            select(Message).where(
                Message.candidate_id == candidate.id, Message.lane == Lane.review, Message.state.in_(REOPENED)
            )
        )
    )
    if message not in again:
        again.append(message)
    for row in again:
        row.candidate_id = candidate.id
        row.state = MessageState.received
        row.lane = None
    session.flush()
    audit.record(
        session,
        actor_id,
        "sender.add_applicant",
        "message",
        message.id,
        candidate_id=candidate.id,
        role_id=role.id,
        application_id=application.id,
        stage=stage.value,
        rerouted=[row.id for row in again],
    )
    return [row.id for row in again]
