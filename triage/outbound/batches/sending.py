"""Sending a batch: a personal email to each recipient, previewed first, then written as outbox rows.

Each candidate gets their own email in their own thread (never a shared To or CC), threaded
under their latest open status check for the role; sending answers the open status checks of those
candidates for the role (every held chaser, and the status checks waiting in Feedback; never a
feedback request). A batch from an asking template (request_info) is recorded as an ask instead:
it answers nothing and does not count towards the batch cadence. `preview` (batches/preview.py)
renders with the same `render_for` as `send`, so what the recruiter sees is what goes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, insert, or_, select, update
from sqlalchemy.orm import Session

from triage import dates
from triage.config import Settings
from triage.db import (
    Application,
    Batch,
    BatchState,
    JobRole,
    Lane,
    Message,
    MessageState,
    Outbound,
    Template,
    Thread,
    audit,
)
from triage.db.base import one_of, utcnow
from triage.db.enums import Intent
from triage.errors import BadInput, NotFound
from triage.outbound import outbox
from triage.outbound.batches.content import asks, get_template, policy_for, render_for, sender_name
from triage.outbound.batches.preview import check_confirmed
from triage.outbound.batches.recipients import select_recipients

log = logging.getLogger(__name__)

PART = 250  # rows per part: outbox_jobs.send_now commits each part and enqueues it as one delivery job


@dataclass
class SendResult:
    batch_id: int
    outbound_ids: list[int]
    skipped: dict
    answered: int
    state: str

    def summary(self) -> dict:
        return {
            "batch_id": self.batch_id,
            "queued": len(self.outbound_ids),
            "skipped": self.skipped,
            "answered_chasers": self.answered,
            "state": self.state,
        }


def send(
    session: Session,
    settings: Settings,
    batch_id: int,
    *,
    user_id: int | None = None,
    only_if_scheduled: bool = False,
    now: datetime | None = None,
    after_part: Callable[[list[int]], None] | None = None,
    part_size: int = PART,
    confirm: int | None = None,
) -> SendResult:
    """Write one outbox row per recipient and mark their held chasers answered.

    Without `after_part` it is one transaction: the caller commits, then enqueues `outbound_ids`.
    With it, `after_part(ids)` runs after each `part_size` rows are written, so the caller can
    commit and enqueue them while the rest is rendered (workers start sending at once). Safe to
    call twice: only a draft (or scheduled) batch sends. With `confirm`, a draft sends only if it is
    the number of emails that would go (the web form and the API always pass it, see
    `require_confirmation`; scripts and the CLI say what they send in code).
    Rows are due after the roles' undo window (TeamPolicy.undo_send_seconds).
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
    template = get_template(session, batch.template_id)
    asking = asks(template)
    selection = select_recipients(
        session, batch.role_ids, batch.stages, override=batch.override_frequency or asking, now=now
    )
    if batch.state == BatchState.draft and confirm is not None:
        check_confirmed(session, batch.role_ids, len(selection.applications), confirm)
    sender = sender_name(session, batch.created_by_id)
    policy = policy_for(session, batch.role_ids)
    chasers = _latest_open_checks(session, batch.role_ids)
    if not asking:
        for role in session.scalars(select(JobRole).where(JobRole.id.in_(batch.role_ids))):
            role.next_update_on = batch.next_update_on  # what acknowledgements will promise
    batch.state, batch.sent_at, batch.skipped = BatchState.sending, now, dict(selection.skipped)
    ids: list[int] = []
    answered = 0
    for start in range(0, len(selection.applications), part_size):
        rows = []
        recipients = selection.applications[start : start + part_size]
        # Threads part by part too, so that the first part reaches the workers sooner.
        threads = _threads(session, [(a.candidate_id, a.role_id) for a in recipients], now)
        for application in recipients:
            key = (application.candidate_id, application.role_id)
            rendered = render_for(template, application, batch.next_update_on, sender, policy.privacy_notice_url)
            rows.append(
                outbox.row_values(
                    settings,
                    kind="batch",
                    to_address=application.candidate.email,
                    to_name=application.candidate.name,
                    subject=rendered.subject,
                    body_text=rendered.body_text,
                    body_html=rendered.body_html,
                    now=now,
                    hold_seconds=policy.undo_send_seconds,
                    from_name=sender,
                    batch_id=batch.id,
                    application_id=application.id,
                    candidate_id=application.candidate_id,
                    role_id=application.role_id,
                    thread_id=threads[key],
                    created_by_id=batch.created_by_id,
                    automatic=False,
                    asks_for_info=asking,
                    **outbox.thread_under(chasers.get(key)),
                )
            )
        part = _insert_rows(session, batch.id, rows)
        if asking:  # a question is not an update: it answers no status check and leaves the cadence alone
            _record_asks(session, part, template, batch.created_by_id, now)
        else:
            answered += _answer_checks(session, batch, part, now)
            _record_updates(session, part, now)
        ids.extend(part)
        if after_part is not None:
            after_part(part)
    audit.record(
        session,
        user_id if user_id is not None else batch.created_by_id,
        "batch.send",
        "batch",
        batch.id,
        queued=len(ids),
        skipped=dict(selection.skipped),
        answered_chasers=answered,
    )
    log.info(
        "batch %s: %s rows, %s skipped, %s chasers answered",
        batch.id,
        len(ids),
        sum(selection.skipped.values()),
        answered,
    )
    return SendResult(batch.id, ids, dict(selection.skipped), answered, str(batch.state))


def _insert_rows(session: Session, batch_id: int, rows: list[dict]) -> list[int]:
    if not rows:
        return []
    # A plain executemany (psycopg pipelines it) and one SELECT back: RETURNING over thousands
    # of rows makes one huge statement that the driver spends longer splitting than running.
    session.execute(insert(Outbound), rows)
    return list(
        session.scalars(
            select(Outbound.id)
            .where(Outbound.batch_id == batch_id, one_of(session, Outbound.message_id, [r["message_id"] for r in rows]))
            .order_by(Outbound.id)
        )
    )


def _threads(session: Session, pairs: list[tuple[int, int]], now: datetime) -> dict[tuple[int, int], int]:
    """The candidate's own thread for each role, made when there is none yet."""
    found: dict[tuple[int, int], int] = {}
    candidate_ids = sorted({c for c, _ in pairs})
    role_ids = sorted({r for _, r in pairs})
    for start in range(0, len(candidate_ids), 500):
        part = candidate_ids[start : start + 500]
        for tid, cid, rid in session.execute(
            select(Thread.id, Thread.candidate_id, Thread.role_id)
            .where(one_of(session, Thread.candidate_id, part), Thread.role_id.in_(role_ids))
            .order_by(Thread.id)
        ):
            found.setdefault((cid, rid), tid)
    missing = [p for p in dict.fromkeys(pairs) if p not in found]
    if missing:
        session.execute(
            insert(Thread), [{"candidate_id": c, "role_id": r, "subject": "", "created_at": now} for c, r in missing]
        )
        made = {c for c, _ in missing}
        for tid, cid, rid in session.execute(
            select(Thread.id, Thread.candidate_id, Thread.role_id).where(
                Thread.created_at == now,
                Thread.role_id.in_(role_ids),
                one_of(session, Thread.candidate_id, sorted(made)),
            )
        ):
            found.setdefault((cid, rid), tid)
    return found


def _open_checks(role_ids: list[int]):
    """Open status checks of the roles that a batch update answers: every held chaser, and the
    status checks waiting in Feedback; never a feedback request (it deserves a personal answer)."""
    return and_(
        Message.role_id.in_(role_ids),
        Message.candidate_id.is_not(None),
        or_(
            Message.state == MessageState.held,
            and_(
                Message.state == MessageState.triaged,
                Message.lane == Lane.feedback,
                Message.intent == Intent.status_check.value,
            ),
        ),
    )


def _latest_open_checks(session: Session, role_ids: list[int]) -> dict[tuple[int, int], Message]:
    """Each candidate's latest open status check per role: the batch email threads under it."""
    chasers: dict[tuple[int, int], Message] = {}
    for message in session.scalars(select(Message).where(_open_checks(role_ids)).order_by(Message.received_at)):
        chasers[(message.candidate_id, message.role_id)] = message
    return chasers


def answered_note(sent_at: datetime) -> str:
    """What an answered message says: 'answered by the status update of 3 Dec'."""
    return f"answered by the status update of {dates.short_day(sent_at)}"


def _answer_checks(session: Session, batch: Batch, part: list[int], now: datetime) -> int:
    """The open status checks of the batch's roles, from candidates this part writes to, are answered by it."""
    if not part:
        return 0
    written = exists().where(
        one_of(session, Outbound.id, part),
        Outbound.candidate_id == Message.candidate_id,
        Outbound.role_id == Message.role_id,
    )
    note = answered_note(now)
    answered = list(session.execute(select(Message.id, Message.reasons).where(_open_checks(batch.role_ids), written)))
    if answered:
        session.execute(
            update(Message),
            [
                {
                    "id": mid,
                    "state": MessageState.answered,
                    "answered_by_batch_id": batch.id,
                    "reasons": [*(reasons or []), note],
                }
                for mid, reasons in answered
            ],
        )
    return len(answered)


def _record_updates(session: Session, part: list[int], now: datetime) -> None:
    if not part:
        return
    written = exists().where(one_of(session, Outbound.id, part), Outbound.application_id == Application.id)
    session.execute(
        update(Application)
        .where(written)
        .values(last_update_at=now, last_update_kind="batch", last_update_asked=False, last_batch_at=now)
        .execution_options(synchronize_session=False)
    )


def _record_asks(session: Session, part: list[int], template: Template, user_id: int | None, now: datetime) -> None:
    """An asking batch is the applications' latest contact, and an ask; never their batch update."""
    if not part:
        return
    rows = list(
        session.execute(
            select(Outbound.application_id, Outbound.id, Outbound.subject).where(one_of(session, Outbound.id, part))
        )
    )
    for application_id, outbound_id, subject in rows:
        if application_id is not None:
            outbox.record_asks(
                session, [(application_id, outbound_id)], what=f"{template.name}: {subject}", user_id=user_id, now=now
            )
    written = exists().where(one_of(session, Outbound.id, part), Outbound.application_id == Application.id)
    session.execute(
        update(Application)
        .where(written)
        .values(last_update_at=now, last_update_kind="batch", last_update_asked=True)
        .execution_options(synchronize_session=False)
    )
