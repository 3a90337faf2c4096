"""The outbox: every outgoing email is a row first, with its Message-ID fixed; then a job.

Rows give up `give_up_at` after creation (default 2 days). triage.outbound.delivery claims and
sends them; triage.outbound.dispatch enqueues them, and its sweep puts back rows whose lease
expired and enqueues due rows that no job will take.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from triage.config import Settings
from triage.db import Application, Message, MessageState, Outbound, OutboxState, Suppression, User, audit
from triage.db.base import Database, utcnow
from triage.db.outbound import Ask
from triage.errors import BadInput, NotFound
from triage.outbound import mime, undo, unfilled
from triage.processing.policy import TeamPolicy

log = logging.getLogger(__name__)

GIVE_UP_AFTER = timedelta(days=2)
RESCUE_AFTER = timedelta(seconds=60)  # a due row nobody took this long after it was due


# --- options ---------------------------------------------------------------------------------
def give_up_after(settings: Settings | None) -> timedelta:
    return timedelta(hours=settings.outbox_give_up_hours) if settings else GIVE_UP_AFTER


# --- rows ------------------------------------------------------------------------------------
def row_values(
    settings: Settings,
    *,
    kind: str,
    to_address: str,
    to_name: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    now: datetime | None = None,
    hold_seconds: int = 0,
    from_name: str = "",
    **fields,
) -> dict:
    """The columns of one outgoing email, its Message-ID fixed now: the one way an outbox row is built.

    The row is due `hold_seconds` after `now`: the undo window (TeamPolicy.undo_send_seconds) in
    which `cancel` still stops it. A batch inserts thousands of these at once; `new_row` wraps one
    in an Outbound. An unfilled placeholder or instruction is refused here, the last moment before
    the row exists (triage.outbound.unfilled)."""
    now = now or utcnow()
    mime.check_address(to_address)  # an unusable address is refused before it becomes a row
    unfilled.check(subject, body_text, body_html)
    return dict(
        message_id=mime.new_message_id(settings.from_address),
        kind=kind,
        from_address=settings.from_address,
        from_name=sender_name(settings, from_name),
        to_address=to_address,
        to_name=mime.clean_header_text(to_name, 200),
        subject=mime.clean_header_text(subject),
        body_text=body_text,
        body_html=body_html,
        state=OutboxState.queued,
        attempts=0,
        next_attempt_at=now + timedelta(seconds=hold_seconds),
        created_at=now,
        give_up_at=now + give_up_after(settings),
        **fields,
    )


def sender_name(settings: Settings, person: str | None) -> str:
    """The From display name: "Priya Shah via Acme Careers", the person alone, or the organisation alone."""
    organisation = settings.organisation_name.strip()
    person = (person or "").strip()
    if person and organisation:
        return mime.clean_header_text(f"{person} via {organisation}", 200)
    return mime.clean_header_text(person or organisation, 200)


class UnusableAddress(BadInput, mime.BadAddress):
    """An address no email can go to, refused by `new_row`: BadInput to the person who gave it, and
    still a mime.BadAddress to code that skips such recipients quietly (acknowledge)."""


def new_row(settings: Settings, **values) -> Outbound:
    """An Outbound row (see `row_values`); the caller adds it and commits.

    An unusable recipient is UnusableAddress, a BadInput whose message names the address."""
    try:
        return Outbound(**row_values(settings, **values))
    except mime.BadAddress as exc:
        raise UnusableAddress(str(exc)) from None


def thread_under(message: Message | None) -> dict:
    """In-Reply-To and References for an email that answers `message` (none when there is no message)."""
    if message is None:
        return {"in_reply_to": None, "references": []}
    references = [r for r in (message.references or []) if r]
    if message.message_id and message.message_id not in references:
        references.append(message.message_id)
    return {"in_reply_to": message.message_id, "references": references[-mime.MAX_REFERENCES :]}


def create_reply(
    session: Session,
    settings: Settings,
    *,
    message_id: int,
    subject: str,
    body_text: str,
    user_id: int | None,
    asks_for_info: bool = False,
    now: datetime | None = None,
) -> Outbound:
    """Queue a personal reply to inbound message `message_id`, threaded under it; the caller commits."""
    now = now or utcnow()
    message = session.get(Message, message_id)
    if message is None:
        raise NotFound(f"no message {message_id}")
    if not body_text or not body_text.strip():
        raise BadInput("the reply is empty")
    to_address, to_name = _recipient(session, message)
    user = session.get(User, user_id) if user_id else None
    row = new_row(
        settings,
        kind="reply",
        to_address=to_address,
        to_name=to_name,
        subject=mime.tidy_subject(subject) if subject else mime.reply_subject(message.subject),
        body_text=body_text,
        body_html=mime.text_to_html(body_text),
        now=now,
        hold_seconds=TeamPolicy.of(message.role).undo_send_seconds,
        from_name=user.name if user else "",
        application_id=message.application_id,
        candidate_id=message.candidate_id,
        role_id=message.role_id,
        thread_id=message.thread_id,
        reply_to_message_id=message.id,
        created_by_id=user_id,
        automatic=False,
        asks_for_info=asks_for_info,
        **thread_under(message),
    )
    session.add(row)
    if message.application_id is not None:
        application = session.get(Application, message.application_id)
        application.last_update_at = now
        application.last_update_kind = "reply"
        application.last_update_asked = asks_for_info
    message.state = MessageState.replied
    session.flush()
    if asks_for_info and message.application_id is not None:
        record_asks(session, [(message.application_id, row.id)], what=row.subject, user_id=user_id, now=now)
    audit.record(
        session, user_id, "outbound.reply", "message", message.id, outbound_id=row.id, asks_for_info=asks_for_info
    )
    return row


def record_asks(
    session: Session, pairs: list[tuple[int, int]], *, what: str, user_id: int | None, now: datetime
) -> None:
    """Record that the outgoing emails asked their applications for something: (application id, outbound id)."""
    if pairs:
        session.execute(
            insert(Ask),
            [
                {"application_id": a, "outbound_id": o, "asked_at": now, "what": what[:998], "created_by_id": user_id}
                for a, o in pairs
            ],
        )


# --- undo send -------------------------------------------------------------------------------
def cancel(session: Session, outbound_id: int, *, by_user: int | None) -> bool:
    """Stop one outgoing email before it goes: True when it was still queued and now never will be.

    The UPDATE only takes a queued row, and delivery only claims queued rows, so exactly one of
    them wins: a row a worker has already taken goes, and this returns False. What the email did
    is undone with it: the message it answered is open again, its ask is withdrawn, and the
    application's latest contact is the latest email that still goes. The caller commits."""
    row = session.get(Outbound, outbound_id)
    if row is None:
        raise NotFound(f"no outbound email {outbound_id}")
    stopped = session.execute(
        update(Outbound)
        .where(Outbound.id == outbound_id, Outbound.state == OutboxState.queued)
        .values(state=OutboxState.cancelled, last_error="cancelled before it was sent")
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(row)
    if not stopped:
        audit.record(session, by_user, "outbound.cancel_refused", "outbound", row.id, state=str(row.state))
        return False
    undo.undo_effects(session, [row.id], user_id=by_user)
    audit.record(session, by_user, "outbound.cancel", "outbound", row.id, kind=row.kind, batch_id=row.batch_id)
    log.info("outbound %s cancelled before delivery", row.id)
    return True


def _recipient(session: Session, message: Message) -> tuple[str, str]:
    if message.candidate is not None:
        return message.candidate.email, message.candidate.name or ""
    address = message.original_from_address or message.from_address
    if not address:
        raise BadInput(f"message {message.id} has no sender to reply to")
    return address, message.original_from_name or message.from_name or ""


def is_suppressed(session: Session, address: str) -> bool:
    return session.scalar(select(Suppression.id).where(Suppression.address == address.lower())) is not None


def suppressed_among(session: Session, addresses: Iterable[str]) -> set[str]:
    wanted = {a.lower() for a in addresses}
    found: set[str] = set()
    ordered = sorted(wanted)
    for start in range(0, len(ordered), 500):
        found.update(
            session.scalars(select(Suppression.address).where(Suppression.address.in_(ordered[start : start + 500])))
        )
    return found


# --- sweeping ----------------------------------------------------------------------------------
def due_unclaimed(
    database: Database, now: datetime | None = None, grace: timedelta = RESCUE_AFTER, limit: int = 50_000
) -> list[int]:
    """Queued rows that are due and that no job will pick up on its own.

    A row that was tried before (a retry, or a reclaimed lease) has no job waiting: it is taken
    as soon as it is due. A never-tried row was enqueued when it was made; only when it has been
    due for `grace` and is still untouched was its job lost (Redis flushed, enqueue failed).
    """
    now = now or utcnow()
    waiting = or_(Outbound.attempts > 0, Outbound.next_attempt_at <= now - grace)
    with database.engine.connect() as conn:
        return list(
            conn.execute(
                select(Outbound.id)
                .where(Outbound.state == OutboxState.queued, Outbound.next_attempt_at <= now, waiting)
                .order_by(Outbound.id)
                .limit(limit)
            ).scalars()
        )


def requeue(session: Session, where, now: datetime | None = None, settings: Settings | None = None) -> list[int]:
    """Put failed rows matching `where` back in the queue with a fresh attempt budget; caller commits."""
    now = now or utcnow()
    ids = list(session.scalars(select(Outbound.id).where(Outbound.state == OutboxState.failed, where)))
    if ids:
        session.execute(
            update(Outbound)
            .where(Outbound.id.in_(ids))
            .values(
                state=OutboxState.queued,
                attempts=0,
                next_attempt_at=now,
                last_error=None,
                give_up_at=now + give_up_after(settings),
            )
            .execution_options(synchronize_session=False)
        )
    return ids


def counts(session: Session, where) -> dict[str, int]:
    """Rows by state for a filter (a batch's progress)."""
    result = {state.value: 0 for state in OutboxState}
    for state, n in session.execute(select(Outbound.state, func.count()).where(where).group_by(Outbound.state)):
        result[str(state)] = n
    return result
