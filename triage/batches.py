"""Batched status updates: pick roles × stages, preview, send a personal email to each candidate.

Each candidate gets their own email in their own thread (never a shared To or CC); a candidate
gets at most one batch update per role every N days (team policy "batch_every_days", default
7) unless the recruiter overrides it; sending marks the role's held chasers from those
candidates answered by the batch.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable
from datetime import date, datetime, timedelta

from redis import Redis
from sqlalchemy import exists, insert, select, update
from sqlalchemy.orm import Session, contains_eager

from triage import audit, compose, email_templates, outbox
from triage.config import Settings
from triage.db import (
    AppStage, Application, Batch, BatchState, Candidate, JobRole, Message, MessageState, Outbound, OutboxState,
    Template, TemplateKind, Thread, User,
)
from triage.db.base import one_of, utcnow
from triage.errors import BadInput, NotFound

log = logging.getLogger(__name__)

EVERY_DAYS = 7
SKIP_RECENT = "had a batch update for this role in the last {days} days"
SKIP_SUPPRESSED = "address refused our mail before (suppressed)"
SKIP_BAD_ADDRESS = "email address cannot be used"


def job_id(batch_id: int) -> str:
    return f"triage-batch-{batch_id}"


def every_days(role: JobRole) -> int:
    policy = (role.team.policy if role.team else None) or {}
    return int(policy.get("batch_every_days", EVERY_DAYS))


# --- choosing recipients ---------------------------------------------------------------------
@dataclass
class Selection:
    applications: list[Application]
    skipped: Counter = field(default_factory=Counter)


def _check(session: Session, role_ids: list[int], stages: list[str]) -> list[JobRole]:
    if not role_ids:
        raise BadInput("choose at least one role")
    if not stages:
        raise BadInput("choose at least one stage")
    bad = [s for s in stages if s not in AppStage.__members__]
    if bad:
        raise BadInput(f"unknown stage(s): {', '.join(bad)} (known: {', '.join(AppStage.__members__)})")
    roles = list(session.scalars(select(JobRole).where(JobRole.id.in_(role_ids))))
    missing = set(role_ids) - {r.id for r in roles}
    if missing:
        raise NotFound(f"no role(s) {', '.join(map(str, sorted(missing)))}")
    return roles


def select_recipients(session: Session, role_ids: list[int], stages: list[str], *, override: bool = False,
                      now: datetime | None = None) -> Selection:
    """The applications a batch would write to, and how many it skips and why."""
    now = now or utcnow()
    roles = {r.id: r for r in _check(session, role_ids, stages)}
    applications = list(session.scalars(
        select(Application).join(Candidate)
        .where(Application.role_id.in_(list(roles)), Application.stage.in_(stages))
        .options(contains_eager(Application.candidate))  # from the join: no second query
        .order_by(Application.role_id, Candidate.name, Application.id)
        .execution_options(populate_existing=True)))  # bulk updates elsewhere bypass the identity map
    selection = Selection([])
    suppressed = outbox.suppressed_among(session, [a.candidate.email for a in applications])
    for application in applications:
        role = roles[application.role_id]
        days = every_days(role)
        if not override and application.last_batch_at and application.last_batch_at > now - timedelta(days=days):
            selection.skipped[SKIP_RECENT.format(days=days)] += 1
        elif application.candidate.email.lower() in suppressed:
            selection.skipped[SKIP_SUPPRESSED] += 1
        else:
            try:
                compose.check_address(application.candidate.email)
            except compose.BadAddress:
                selection.skipped[SKIP_BAD_ADDRESS] += 1
                continue
            application.role = role
            selection.applications.append(application)
    return selection


def _sender_name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return user.name if user else ""


def preview(session: Session, *, role_ids: list[int], stages: list[str], template_id: int,
            next_update_on: date, override: bool = False, user_id: int | None = None, limit: int = 3) -> dict:
    """The count, the skips, and the first `limit` emails rendered exactly as they would go."""
    template = _template(session, template_id)
    selection = select_recipients(session, role_ids, stages, override=override)
    sender = _sender_name(session, user_id)
    samples = []
    for application in selection.applications[:limit]:
        rendered = email_templates.render(template, email_templates.context_for(
            application, next_update_on=next_update_on, recruiter_name=sender))
        samples.append({"to": application.candidate.email, "to_name": application.candidate.name,
                         "role_id": application.role_id, "subject": compose.clean_header_text(rendered.subject),
                         "body_text": rendered.body_text, "body_html": rendered.body_html})
    return {"count": len(selection.applications), "skipped": dict(selection.skipped), "samples": samples}


def _template(session: Session, template_id: int) -> Template:
    template = session.get(Template, template_id)
    if template is None:
        raise NotFound(f"no template {template_id}")
    return template


# --- the batch's life ------------------------------------------------------------------------
def create(session: Session, *, role_ids: list[int], stages: list[str], template_id: int, next_update_on: date,
           user_id: int | None, override: bool = False, today: date | None = None) -> Batch:
    """A draft batch, checked; the caller commits."""
    _check(session, role_ids, stages)
    _template(session, template_id)
    if next_update_on < (today or utcnow().date()):
        raise BadInput(f"the next update date {next_update_on.isoformat()} is in the past")
    batch = Batch(template_id=template_id, created_by_id=user_id, role_ids=sorted(set(role_ids)),
                  stages=sorted(set(stages)), next_update_on=next_update_on, override_frequency=override,
                  state=BatchState.draft, skipped={})
    session.add(batch)
    session.flush()
    audit.record(session, user_id, "batch.create", "batch", batch.id, roles=batch.role_ids, stages=batch.stages)
    return batch


def get(session: Session, batch_id: int) -> Batch:
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise NotFound(f"no batch {batch_id}")
    return batch


def schedule(session: Session, batch_id: int, when: datetime, user_id: int | None,
             now: datetime | None = None) -> Batch:
    """Mark a draft batch to go at `when`; after the commit call `enqueue_scheduled`."""
    batch = get(session, batch_id)
    if batch.state not in (BatchState.draft, BatchState.scheduled):
        raise BadInput(f"batch {batch.id} is {batch.state}; only a draft can be scheduled")
    if when.tzinfo is None:
        raise BadInput("the time to send must carry a time zone")
    if when <= (now or utcnow()):
        raise BadInput("the time to send is in the past; send it now instead")
    batch.state, batch.scheduled_for = BatchState.scheduled, when
    audit.record(session, user_id, "batch.schedule", "batch", batch.id, at=when.isoformat())
    return batch


def enqueue_scheduled(redis: Redis, batch: Batch) -> None:
    """Hand a committed scheduled batch to RQ's scheduler (the job re-checks the state)."""
    from triage import outbox_jobs, queue
    queue.queue(redis, "outbox").enqueue_at(batch.scheduled_for, outbox_jobs.send_batch, batch.id,
                                            job_id=job_id(batch.id), job_timeout=outbox_jobs.BATCH_TIMEOUT)


@dataclass
class SendResult:
    batch_id: int
    outbound_ids: list[int]
    skipped: dict
    answered: int
    state: str

    def summary(self) -> dict:
        return {"batch_id": self.batch_id, "queued": len(self.outbound_ids), "skipped": self.skipped,
                "answered_chasers": self.answered, "state": self.state}


PART = 250


def send(session: Session, settings: Settings, batch_id: int, *, user_id: int | None = None,
         only_if_scheduled: bool = False, now: datetime | None = None,
         after_part: Callable[[list[int]], None] | None = None, part_size: int = PART) -> SendResult:
    """Write one outbox row per recipient and mark their held chasers answered.

    Without `after_part` it is one transaction: the caller commits, then enqueues `outbound_ids`.
    With it, `after_part(ids)` runs after each `part_size` rows are written, so the caller can
    commit and enqueue them while the rest is rendered (workers start sending at once). Safe to
    call twice: only a draft (or scheduled) batch sends.
    """
    now = now or utcnow()
    batch = session.scalar(select(Batch).where(Batch.id == batch_id).with_for_update())
    if batch is None:
        raise NotFound(f"no batch {batch_id}")
    allowed = (BatchState.scheduled,) if only_if_scheduled else (BatchState.draft, BatchState.scheduled)
    if batch.state not in allowed:
        if only_if_scheduled:  # cancelled, or already sent by hand: nothing to do
            return SendResult(batch.id, [], batch.skipped or {}, 0, str(batch.state))
        raise BadInput(f"batch {batch.id} is {batch.state}; it cannot be sent again (retry the failed instead)")
    template = _template(session, batch.template_id)
    compiled = email_templates.compiled(template)
    selection = select_recipients(session, batch.role_ids, batch.stages, override=batch.override_frequency, now=now)
    sender = _sender_name(session, batch.created_by_id)
    chasers = _latest_held_chasers(session, batch.role_ids)
    for role in session.scalars(select(JobRole).where(JobRole.id.in_(batch.role_ids))):
        role.next_update_on = batch.next_update_on  # what acknowledgements will promise
    batch.state, batch.sent_at, batch.skipped = BatchState.sending, now, dict(selection.skipped)
    give_up_at = now + outbox.give_up_after(settings)
    ids: list[int] = []
    answered = 0
    for start in range(0, len(selection.applications), part_size):
        rows = []
        recipients = selection.applications[start:start + part_size]
        # Threads part by part too, so that the first part reaches the workers sooner.
        threads = _threads(session, [(a.candidate_id, a.role_id) for a in recipients], now)
        for application in recipients:
            key = (application.candidate_id, application.role_id)
            rendered = compiled.render(email_templates.context_for(
                application, next_update_on=batch.next_update_on, recruiter_name=sender))
            chaser = chasers.get(key)
            references = list((chaser.references or []) if chaser else [])
            if chaser is not None and chaser.message_id:
                references.append(chaser.message_id)
            rows.append(dict(
                message_id=compose.new_message_id(settings.from_address), kind="batch", batch_id=batch.id,
                application_id=application.id, candidate_id=application.candidate_id, role_id=application.role_id,
                thread_id=threads[key], created_by_id=batch.created_by_id,
                in_reply_to=chaser.message_id if chaser is not None else None,
                references=references[-compose.MAX_REFERENCES:], from_address=settings.from_address,
                to_address=application.candidate.email,
                to_name=compose.clean_header_text(application.candidate.name, 200),
                subject=compose.clean_header_text(rendered.subject), body_text=rendered.body_text,
                body_html=rendered.body_html, automatic=False, asks_for_info=False, state=OutboxState.queued,
                attempts=0, next_attempt_at=now, created_at=now, give_up_at=give_up_at))
        part = _insert_rows(session, batch.id, rows)
        answered += _answer_chasers(session, batch, part)
        _record_updates(session, part, now)
        ids.extend(part)
        if after_part is not None:
            after_part(part)
    audit.record(session, user_id if user_id is not None else batch.created_by_id, "batch.send", "batch", batch.id,
                 queued=len(ids), skipped=dict(selection.skipped), answered_chasers=answered)
    log.info("batch %s: %s rows, %s skipped, %s chasers answered", batch.id, len(ids),
             sum(selection.skipped.values()), answered)
    return SendResult(batch.id, ids, dict(selection.skipped), answered, str(batch.state))


def _insert_rows(session: Session, batch_id: int, rows: list[dict]) -> list[int]:
    if not rows:
        return []
    # A plain executemany (psycopg pipelines it) and one SELECT back: RETURNING over thousands
    # of rows makes one huge statement that the driver spends longer splitting than running.
    session.execute(insert(Outbound), rows)
    return list(session.scalars(select(Outbound.id).where(
        Outbound.batch_id == batch_id, one_of(session, Outbound.message_id, [r["message_id"] for r in rows]))
        .order_by(Outbound.id)))


def _threads(session: Session, pairs: list[tuple[int, int]], now: datetime) -> dict[tuple[int, int], int]:
    """The candidate's own thread for each role, made when there is none yet."""
    found: dict[tuple[int, int], int] = {}
    candidate_ids = sorted({c for c, _ in pairs})
    role_ids = sorted({r for _, r in pairs})
    for start in range(0, len(candidate_ids), 500):
        part = candidate_ids[start:start + 500]
        for tid, cid, rid in session.execute(select(Thread.id, Thread.candidate_id, Thread.role_id)
                                             .where(one_of(session, Thread.candidate_id, part),
                                                    Thread.role_id.in_(role_ids))
                                             .order_by(Thread.id)):
            found.setdefault((cid, rid), tid)
    missing = [p for p in dict.fromkeys(pairs) if p not in found]
    if missing:
        session.execute(insert(Thread), [{"candidate_id": c, "role_id": r, "subject": "", "created_at": now}
                                         for c, r in missing])
        made = {c for c, _ in missing}
        for tid, cid, rid in session.execute(select(Thread.id, Thread.candidate_id, Thread.role_id)
                                             .where(Thread.created_at == now, Thread.role_id.in_(role_ids),
                                                    one_of(session, Thread.candidate_id, sorted(made)))):
            found.setdefault((cid, rid), tid)
    return found


def _latest_held_chasers(session: Session, role_ids: list[int]) -> dict[tuple[int, int], Message]:
    chasers: dict[tuple[int, int], Message] = {}
    for message in session.scalars(select(Message).where(Message.role_id.in_(role_ids),
                                                         Message.state == MessageState.held,
                                                         Message.candidate_id.is_not(None))
                                   .order_by(Message.received_at)):
        chasers[(message.candidate_id, message.role_id)] = message
    return chasers


def _answer_chasers(session: Session, batch: Batch, part: list[int]) -> int:
    """Held chasers of the batch's roles, from candidates this part writes to, are answered by it."""
    if not part:
        return 0
    written = exists().where(one_of(session, Outbound.id, part), Outbound.candidate_id == Message.candidate_id,
                             Outbound.role_id == Message.role_id)
    result = session.execute(update(Message)
                             .where(Message.role_id.in_(batch.role_ids), Message.state == MessageState.held, written)
                             .values(state=MessageState.answered, answered_by_batch_id=batch.id)
                             .execution_options(synchronize_session=False))
    return result.rowcount or 0


def _record_updates(session: Session, part: list[int], now: datetime) -> None:
    if not part:
        return
    written = exists().where(one_of(session, Outbound.id, part), Outbound.application_id == Application.id)
    session.execute(update(Application).where(written)
                    .values(last_update_at=now, last_update_kind="batch", last_update_asked=False, last_batch_at=now)
                    .execution_options(synchronize_session=False))


def cancel(session: Session, batch_id: int, user_id: int | None, redis: Redis | None = None) -> dict:
    """Cancel a scheduled batch, or the rows of a sending batch that have not gone yet."""
    batch = get(session, batch_id)
    cancelled_rows = 0
    if batch.state in (BatchState.draft, BatchState.scheduled):
        batch.state = BatchState.cancelled
        if redis is not None:
            _cancel_job(redis, batch.id)
    elif batch.state == BatchState.sending:
        result = session.execute(update(Outbound).where(Outbound.batch_id == batch.id,
                                                        Outbound.state == OutboxState.queued)
                                 .values(state=OutboxState.cancelled).execution_options(synchronize_session=False))
        cancelled_rows = result.rowcount or 0
    else:
        raise BadInput(f"batch {batch.id} is {batch.state}; there is nothing left to cancel")
    audit.record(session, user_id, "batch.cancel", "batch", batch.id, rows=cancelled_rows)
    return {"state": str(batch.state), "cancelled_rows": cancelled_rows}


def _cancel_job(redis: Redis, batch_id: int) -> None:
    from rq.exceptions import NoSuchJobError
    from rq.job import Job
    try:
        Job.fetch(job_id(batch_id), connection=redis).delete()
    except NoSuchJobError:
        pass  # already run or never enqueued: the job re-checks the state anyway


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
    failed_rows = session.execute(select(Outbound.id, Outbound.to_address, Outbound.last_error)
                                  .where(Outbound.batch_id == batch.id, Outbound.state == OutboxState.failed)
                                  .order_by(Outbound.id).limit(failures)).all()
    state = str(batch.state)
    if batch.state == BatchState.sending and pending == 0:
        state = str(BatchState.sent)
    done = total - pending - counts["cancelled"]
    return {
        "id": batch.id, "state": state, "total": total, "queued": pending, "sent": counts["sent"],
        "failed": counts["failed"], "cancelled": counts["cancelled"], "skipped": batch.skipped or {},
        "percent": round(100 * done / total) if total else (100 if state == "sent" else 0),
        "scheduled_for": batch.scheduled_for.isoformat() if batch.scheduled_for else None,
        "next_update_on": batch.next_update_on.isoformat(), "role_ids": batch.role_ids, "stages": batch.stages,
        "failures": [{"outbound_id": i, "to": to, "reason": error or ""} for i, to, error in failed_rows],
    }


def mark_finished(session: Session, batch_id: int) -> bool:
    """Flip a sending batch to sent once none of its rows is pending; the caller commits."""
    batch = get(session, batch_id)
    if batch.state != BatchState.sending:
        return False
    pending = session.scalar(select(Outbound.id).where(Outbound.batch_id == batch.id,
                                                       Outbound.state.in_((OutboxState.queued, OutboxState.sending)))
                             .limit(1))
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
        template = email_templates.default_template(session, TemplateKind(name))
    if template is None:
        names = ", ".join(session.scalars(select(Template.name).order_by(Template.name))) or "none yet"
        raise NotFound(f"no template {name!r} (templates: {names})")
    return template
