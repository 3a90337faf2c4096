"""A batch's life: create, schedule, cancel, retry the failed, progress, and finding roles and
templates by the names people and scripts use."""

from __future__ import annotations

from datetime import date, datetime

from redis import Redis
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from triage.config import Settings
from triage.db import (
    Batch,
    BatchState,
    JobRole,
    Message,
    MessageState,
    Outbound,
    OutboxState,
    Template,
    TemplateKind,
    audit,
)
from triage.db.base import utcnow
from triage.errors import BadInput, NotFound
from triage.outbound import outbox, templates, undo
from triage.outbound.batches.content import asks, get_template
from triage.outbound.batches.preview import check_confirmed, check_next_update
from triage.outbound.batches.recipients import check_choice, select_recipients


def job_id(batch_id: int) -> str:
    return f"triage-batch-{batch_id}"


# --- the batch's life ------------------------------------------------------------------------
def create(
    session: Session,
    *,
    role_ids: list[int],
    stages: list[str],
    template_id: int,
    next_update_on: date,
    user_id: int | None,
    override: bool = False,
    today: date | None = None,
) -> Batch:
    """A draft batch, checked; the caller commits."""
    check_choice(session, role_ids, stages)
    get_template(session, template_id)
    check_next_update(next_update_on, today)
    batch = Batch(
        template_id=template_id,
        created_by_id=user_id,
        role_ids=sorted(set(role_ids)),
        stages=sorted(set(stages)),
        next_update_on=next_update_on,
        override_frequency=override,
        state=BatchState.draft,
        skipped={},
    )
    session.add(batch)
    session.flush()
    audit.record(session, user_id, "batch.create", "batch", batch.id, roles=batch.role_ids, stages=batch.stages)
    return batch


def get(session: Session, batch_id: int) -> Batch:
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise NotFound(f"no batch {batch_id}")
    return batch


def schedule(
    session: Session,
    batch_id: int,
    when: datetime,
    user_id: int | None,
    now: datetime | None = None,
    *,
    confirm: int | None = None,
) -> Batch:
    """Mark a draft batch to go at `when` (with `confirm`, only if it is the number of emails it would send now);
    after the commit call `dispatch.enqueue_scheduled`. Cancel it (`cancel`) until its time."""
    batch = get(session, batch_id)
    if batch.state not in (BatchState.draft, BatchState.scheduled):
        raise BadInput(f"batch {batch.id} is {batch.state}; only a draft can be scheduled")
    if when.tzinfo is None:
        raise BadInput("the time to send must carry a time zone")
    if when <= (now or utcnow()):
        raise BadInput("the time to send is in the past; send it now instead")
    if confirm is not None:
        check_confirmed(session, batch.role_ids, recipient_count(session, batch), confirm)
    batch.state, batch.scheduled_for = BatchState.scheduled, when
    audit.record(session, user_id, "batch.schedule", "batch", batch.id, at=when.isoformat())
    return batch


def cancel(session: Session, batch_id: int, user_id: int | None, redis: Redis | None = None) -> dict:
    """Cancel a scheduled batch, or the rows of a sending batch that have not gone yet."""
    batch = get(session, batch_id)
    cancelled_rows = 0
    if batch.state in (BatchState.draft, BatchState.scheduled):
        batch.state = BatchState.cancelled
        if redis is not None:
            _cancel_job(redis, batch.id)
    elif batch.state == BatchState.sending:
        # Only queued rows: delivery claims only queued rows, so a row is either taken or stopped.
        stopped = list(
            session.execute(
                update(Outbound)
                .where(Outbound.batch_id == batch.id, Outbound.state == OutboxState.queued)
                .values(state=OutboxState.cancelled, last_error="cancelled before it was sent")
                .returning(Outbound.id, Outbound.candidate_id)
                .execution_options(synchronize_session=False)
            )
        )
        cancelled_rows = len(stopped)
        _reopen_answered(session, batch, {candidate_id for _, candidate_id in stopped})
        undo.undo_effects(session, [row_id for row_id, _ in stopped], user_id=user_id)
        if not session.scalar(
            select(Outbound.id).where(Outbound.batch_id == batch.id, Outbound.state != OutboxState.cancelled).limit(1)
        ):
            batch.state = BatchState.cancelled  # stopped before a single email went: undone
    else:
        raise BadInput(f"batch {batch.id} is {batch.state}; there is nothing left to cancel")
    audit.record(session, user_id, "batch.cancel", "batch", batch.id, rows=cancelled_rows)
    return {"state": str(batch.state), "cancelled_rows": cancelled_rows}


def _reopen_answered(session: Session, batch: Batch, candidate_ids: set[int]) -> None:
    """The status checks this batch answered for candidates whose email was stopped are open again."""
    if not candidate_ids:
        return
    for message in session.scalars(
        select(Message).where(
            Message.answered_by_batch_id == batch.id,
            Message.state == MessageState.answered,
            Message.candidate_id.in_(sorted(candidate_ids)),
        )
    ):
        message.state = undo.reopened_state(message)
        message.answered_by_batch_id = None
        message.reasons = [r for r in message.reasons or [] if not r.startswith("answered by the status update")]


def recipient_count(session: Session, batch: Batch) -> int:
    """How many emails the batch would send now."""
    template = get_template(session, batch.template_id)
    override = batch.override_frequency or asks(template)
    return len(select_recipients(session, batch.role_ids, batch.stages, override=override).applications)


def _cancel_job(redis: Redis, batch_id: int) -> None:
    try:
        Job.fetch(job_id(batch_id), connection=redis).delete()
    except (NoSuchJobError, RedisError):
        pass  # already run, never enqueued, or Redis down: the job re-checks the state anyway


def due_scheduled(session: Session, cutoff: datetime) -> list[int]:
    """Ids of batches still scheduled for `cutoff` or earlier, oldest first."""
    return list(
        session.scalars(
            select(Batch.id)
            .where(Batch.state == BatchState.scheduled, Batch.scheduled_for <= cutoff)
            .order_by(Batch.scheduled_for, Batch.id)
        )
    )


def retry_failed(session: Session, settings: Settings, batch_id: int, user_id: int | None) -> list[int]:
    """Queue the batch's failed rows again; the caller commits, then enqueues the ids."""
    batch = get(session, batch_id)
    ids = outbox.requeue(session, Outbound.batch_id == batch.id, settings=settings)
    if ids and batch.state == BatchState.sent:
        batch.state = BatchState.sending
    audit.record(session, user_id, "batch.retry", "batch", batch.id, rows=len(ids))
    return ids


def progress(session: Session, batch_id: int, failures: int = 50) -> dict:
    """Queued / sent / failed counts, each failure with its reason, and whether it is done."""
    batch = get(session, batch_id)
    counts = outbox.counts(session, Outbound.batch_id == batch.id)
    total = sum(counts.values())
    pending = counts["queued"] + counts["sending"]
    failed_rows = session.execute(
        select(Outbound.id, Outbound.to_address, Outbound.last_error)
        .where(Outbound.batch_id == batch.id, Outbound.state == OutboxState.failed)
        .order_by(Outbound.id)
        .limit(failures)
    ).all()
    state = str(batch.state)
    if batch.state == BatchState.sending and pending == 0:
        state = str(BatchState.sent)
    done = total - pending - counts["cancelled"]
    return {
        "id": batch.id,
        "state": state,
        "total": total,
        "queued": pending,
        "sent": counts["sent"],
        "failed": counts["failed"],
        "cancelled": counts["cancelled"],
        "skipped": batch.skipped or {},
        "percent": round(100 * done / total) if total else (100 if state == "sent" else 0),
        "scheduled_for": batch.scheduled_for.isoformat() if batch.scheduled_for else None,
        "next_update_on": batch.next_update_on.isoformat(),
        "role_ids": batch.role_ids,
        "stages": batch.stages,
        "failures": [{"outbound_id": i, "to": to, "reason": error or ""} for i, to, error in failed_rows],
        "undo_until": _undo_until(session, batch),
    }


def _undo_until(session: Session, batch: Batch) -> str | None:
    """Until when the whole batch can still be undone: its rows wait out the undo window untouched."""
    if batch.state == BatchState.scheduled:
        return batch.scheduled_for.isoformat() if batch.scheduled_for else None
    if batch.state != BatchState.sending:
        return None
    o = Outbound
    started = session.scalar(
        select(o.id).where(o.batch_id == batch.id, or_(o.state != OutboxState.queued, o.attempts > 0)).limit(1)
    )
    if started is not None:
        return None
    until = session.scalar(select(func.min(o.next_attempt_at)).where(o.batch_id == batch.id))
    return until.isoformat() if until is not None and until > utcnow() else None


def mark_finished(session: Session, batch_id: int) -> bool:
    """Flip a sending batch to sent once none of its rows is pending; the caller commits."""
    batch = get(session, batch_id)
    if batch.state != BatchState.sending:
        return False
    pending = session.scalar(
        select(Outbound.id)
        .where(Outbound.batch_id == batch.id, Outbound.state.in_((OutboxState.queued, OutboxState.sending)))
        .limit(1)
    )
    if pending is None:
        batch.state = BatchState.sent
        return True
    return False


# --- names people and scripts use --------------------------------------------------------------
def role_ids_for(session: Session, references: list[str]) -> list[int]:
    """Role ids for references like REQ-1042 ("all" means every open role)."""
    if [r.lower() for r in references] == ["all"]:
        return list(session.scalars(select(JobRole.id).where(JobRole.is_open).order_by(JobRole.id)))
    found = dict(session.execute(select(JobRole.reference, JobRole.id).where(JobRole.reference.in_(references))).all())
    missing = [r for r in references if r not in found]
    if missing:
        raise NotFound(f"no role(s) {', '.join(missing)}")
    return [found[r] for r in references]


def template_named(session: Session, name: str) -> Template:
    """A template by name, or by kind (status_update…), seeding the defaults when needed."""
    template = session.scalar(select(Template).where(Template.name == name))
    if template is None and name in TemplateKind.__members__:
        template = templates.default_template(session, TemplateKind(name))
    if template is None:
        names = ", ".join(session.scalars(select(Template.name).order_by(Template.name))) or "none yet"
        raise NotFound(f"no template {name!r} (templates: {names})")
    return template
