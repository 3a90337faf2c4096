"""An application's dated history: stage changes and outside contacts, each on the day it happened.

A change writes the dates routing reads (Application.interview_at, rejected_at, last_update_at,
last_update_asked) and an ApplicationEvent for the timeline; both are audited. `at` defaults
to now and may be backdated, never put in the future (a scheduled interview's own date may be).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.db import Application, ApplicationEvent, AppStage, Direction, Message, Outbound, OutboxState, audit
from triage.errors import BadInput

CHANNELS = ("phone", "email", "meeting", "video", "other")
CLOCK_SLACK = timedelta(minutes=5)  # a browser's clock a little ahead of ours is not "the future"
# What routing's history calls an interview: the moment it happened or is scheduled.
INTERVIEW_STAGES = (AppStage.interviewing, AppStage.interviewed)
CONTACT_KIND = "contact"  # Application.last_update_kind of a contact logged by hand (not a reply or batch)


def _check_past(at: datetime, now: datetime, what: str) -> None:
    if at.tzinfo is None:
        raise BadInput(f"{what} needs a time zone")
    if at > now + CLOCK_SLACK:
        raise BadInput(f"{what} is in the future ({at:%Y-%m-%d %H:%M} UTC); record what has happened")


def change_stage(
    session: Session,
    application: Application,
    stage: AppStage | str,
    *,
    now: datetime,
    at: datetime | None = None,
    interview_at: datetime | None = None,
    user_id: int | None = None,
    source: str = "web",
) -> ApplicationEvent | None:
    """Record that `application` reached `stage` at `at` (default now); None when nothing changes.

    interviewing takes the interview's date and time (`interview_at`, may be ahead); interviewed
    takes the day it happened (`interview_at`, else `at`); rejected sets rejected_at to `at`.
    """
    try:
        stage = AppStage(stage)
    except ValueError:
        raise BadInput(f"{stage!r} is not a stage ({', '.join(s.value for s in AppStage)})") from None
    at = at or now
    _check_past(at, now, "the date of the change")
    if application.applied_at is not None and at < application.applied_at and stage is not AppStage.applied:
        raise BadInput(f"the date of the change is before the application ({application.applied_at:%Y-%m-%d})")
    if interview_at is not None and stage not in INTERVIEW_STAGES:
        raise BadInput("an interview date goes with interviewing or interviewed")
    if stage is AppStage.interviewed:
        interview_at = interview_at or at
        _check_past(interview_at, now, "the interview date")

    before = {
        "stage": application.stage,
        "interview_at": application.interview_at,
        "rejected_at": application.rejected_at,
        "applied_at": application.applied_at,
    }
    if interview_at is not None:
        application.interview_at = interview_at
    if stage is AppStage.rejected:
        application.rejected_at = at
    if stage is AppStage.applied:
        application.applied_at = at
    # The stage it is now, unless the history already holds a later change (entered out of order).
    later = session.scalar(
        select(ApplicationEvent.id)
        .where(
            ApplicationEvent.application_id == application.id,
            ApplicationEvent.kind == "stage",
            ApplicationEvent.at > at,
        )
        .limit(1)
    )
    latest = later is None
    if latest:
        application.stage = stage
        application.stage_changed_at = at
    after = {
        "stage": application.stage,
        "interview_at": application.interview_at,
        "rejected_at": application.rejected_at,
        "applied_at": application.applied_at,
    }
    if before == after and application.stage == stage:
        return None
    event = ApplicationEvent(
        application_id=application.id,
        kind="stage",
        stage=stage,
        at=at,
        interview_at=interview_at,
        user_id=user_id,
        source=source,
        recorded_at=now,
        note="",
    )
    session.add(event)
    session.flush()
    record = audit.record(
        session,
        user_id,
        "application.stage",
        "application",
        application.id,
        from_stage=str(before["stage"]),
        to_stage=str(stage),
        at=at.isoformat(),
        interview_at=interview_at.isoformat() if interview_at else None,
        source=source,
    )
    record.at = now
    return event


def log_contact(
    session: Session,
    application: Application,
    *,
    now: datetime,
    at: datetime | None = None,
    channel: str = "phone",
    asked: bool = False,
    note: str = "",
    user_id: int | None = None,
    source: str = "web",
) -> ApplicationEvent:
    """Record a contact made outside Triage (a call, a mail from another mailbox) as our latest contact."""
    if channel not in CHANNELS:
        raise BadInput(f"{channel!r} is not a channel ({', '.join(CHANNELS)})")
    if not isinstance(asked, bool):
        raise BadInput("asked must be true or false")
    if not isinstance(note, str) or len(note) > 500 or "\x00" in note:
        raise BadInput("the note is text of at most 500 characters")
    at = at or now
    _check_past(at, now, "the date of the contact")
    # Routing looks only at our latest contact: an older one logged late changes nothing there.
    if application.last_update_at is None or at >= application.last_update_at:
        application.last_update_at = at
        application.last_update_kind = CONTACT_KIND
        application.last_update_asked = asked
    event = ApplicationEvent(
        application_id=application.id,
        kind="contact",
        at=at,
        channel=channel,
        asked=asked,
        note=note.strip(),
        user_id=user_id,
        source=source,
        recorded_at=now,
    )
    session.add(event)
    session.flush()
    record = audit.record(
        session,
        user_id,
        "application.contact",
        "application",
        application.id,
        at=at.isoformat(),
        channel=channel,
        asked=asked,
        source=source,
    )
    record.at = now
    return event


@dataclass(frozen=True)
class Entry:
    """One line of a timeline."""

    at: datetime
    kind: str  # stage, contact, inbound, outbound
    text: str
    link_message_id: int | None = None


def _stage_text(event: ApplicationEvent) -> str:
    text = f"stage: {event.stage.value if event.stage else '?'}"
    if event.interview_at is not None:
        text += f" (interview {event.interview_at:%Y-%m-%d %H:%M} UTC)"
    if event.note:
        text += f" — {event.note}"
    if event.source == "import":
        text += " (from the ATS export)"
    return text


def timeline(session: Session, application: Application, limit: int = 200) -> list[Entry]:
    """What happened to an application, newest first: stages, contacts, its mail in and out."""
    entries = []
    for event in session.scalars(
        select(ApplicationEvent)
        .where(ApplicationEvent.application_id == application.id)
        .order_by(ApplicationEvent.at.desc())
        .limit(limit)
    ):
        if event.kind == "stage":
            entries.append(Entry(event.at, "stage", _stage_text(event)))
        else:
            asked = "; we asked for something" if event.asked else ""
            note = f" — {event.note}" if event.note else ""
            entries.append(Entry(event.at, "contact", f"{event.channel} contact{asked}{note}"))
    for message in session.scalars(
        select(Message)
        .where(Message.application_id == application.id, Message.direction == Direction.inbound)
        .order_by(Message.received_at.desc())
        .limit(limit)
    ):
        lane = message.lane.value if message.lane else "not triaged yet"
        intent = (message.intent or "unclassified").replace("_", " ")
        entries.append(Entry(message.received_at, "inbound", f"mail in: {intent} → {lane}", message.id))
    for row in session.scalars(
        select(Outbound)
        .where(Outbound.application_id == application.id, Outbound.state == OutboxState.sent)
        .order_by(Outbound.sent_at.desc())
        .limit(limit)
    ):
        asked = "; asks for something" if row.asks_for_info else ""
        entries.append(Entry(row.sent_at or row.created_at, "outbound", f"mail out: {row.kind}{asked}"))
    return sorted(entries, key=lambda e: e.at, reverse=True)[:limit]
