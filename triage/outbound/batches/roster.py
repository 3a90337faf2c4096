"""Who a batch is for, as its pages list them: its roles, each recipient of a preview, and each
email of a batch with its state (its outbox rows), in a fixed number of queries whatever its size.

Named roster, not progress: `batches.progress` is the function a submodule of that name would hide.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.db import Application, Batch, BatchState, JobRole, Outbound, OutboxState
from triage.outbound.batches.content import asks, get_template
from triage.outbound.batches.recipients import select_recipients


def role_label(role: JobRole) -> str:
    """'REQ-1045 · QA Engineer': how the batch form names a role."""
    return f"{role.reference} · {role.title}"


def roles(session: Session, role_ids: Iterable[int]) -> dict[int, JobRole]:
    """The roles of one or many batches, by id, in one query."""
    wanted = sorted(set(role_ids))
    if not wanted:
        return {}
    return {r.id: r for r in session.scalars(select(JobRole).where(JobRole.id.in_(wanted)))}


def recipients(applications: Iterable[Application]) -> list[dict]:
    """One line per recipient of a preview: name, address, role and stage.

    The applications come from `select_recipients`, which loaded each candidate and role with
    them, so this reads no more rows."""
    return [
        {
            "application_id": a.id,
            "name": a.candidate.name or "",
            "email": a.candidate.email,
            "role_id": a.role_id,
            "role": role_label(a.role),
            "stage": str(a.stage),
        }
        for a in applications
    ]


def emails(session: Session, batch: Batch) -> list[dict]:
    """Each email of the batch: to whom, for which role, its state and what to know about it.

    Before a draft or scheduled batch has rows, the candidates it would write to now, each
    with the batch's state: the list is drawn again when it goes."""
    o = Outbound
    rows = session.execute(
        select(o.to_name, o.to_address, o.state, o.sent_at, o.last_error, o.attempts, JobRole)
        .outerjoin(JobRole, JobRole.id == o.role_id)
        .where(o.batch_id == batch.id)
        .order_by(o.id)  # the order they were written: by role, then by name
    ).all()
    if rows:
        return [
            {
                "name": name or "",
                "email": to,
                "role": role_label(role) if role is not None else "",
                "state": str(state),
                "sent_at": sent_at if state == OutboxState.sent else None,
                "note": _note(state, error, attempts),
            }
            for name, to, state, sent_at, error, attempts, role in rows
        ]
    if batch.state not in (BatchState.draft, BatchState.scheduled):
        return []
    override = batch.override_frequency or asks(get_template(session, batch.template_id))
    selection = select_recipients(session, batch.role_ids, batch.stages, override=override)
    return [
        {**line, "state": str(batch.state), "sent_at": None, "note": ""} for line in recipients(selection.applications)
    ]


def _note(state: OutboxState, error: str | None, attempts: int) -> str:
    if state == OutboxState.failed:
        return error or ""
    if state == OutboxState.queued and attempts and error:
        return f"trying again; last time: {error}"
    return ""
