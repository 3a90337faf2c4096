"""Export a candidate's data: one zip a person can read (a data-subject access request).

README.txt          what each file is
data.json           the candidate, their applications with stages and dates, the mail they
                    sent with what Triage decided about it (lane, intent, reasons), our mail to them
mail/NNN.eml        each email they sent, exactly as received
sent/NNN.txt        each email we wrote to them, as text
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from triage.db import Application, AuditEvent, Base, Candidate, JobRole, Message, Outbound

README = """\
Your data held by {team}'s recruiting inbox (Triage), exported {when} UTC for {address}.

data.json      - everything below in one machine-readable file:
                 "candidate": the address and name we hold for you;
                 "applications": the roles you applied for, the stage each one is at, and
                 its dates (applied, interview, rejection, our last update), with the
                 history of stage changes;
                 "messages_from_you": each email you sent us, when it arrived, and what
                 Triage decided about it: the lane it was put in (today, feedback, held for
                 a batched update, fyi, review), the intent it read (for example
                 status_check or scheduling), how confident it was, and its reasons in words;
                 "messages_to_you": each email we sent or prepared for you, with its date and state.
mail/          - each email you sent us, exactly as we received it (.eml: open it with any
                 mail program or a text editor).
sent/          - each email we wrote to you, as plain text.

Dates and times are in UTC, written as YYYY-MM-DDTHH:MM:SS.
"""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def build(session: Session, candidate: Candidate, now: datetime, team: str = "the hiring team") -> bytes:
    """The zip of one candidate's data, as bytes."""
    applications = _applications(session, candidate)
    messages = list(
        session.scalars(
            select(Message)
            .where(
                or_(
                    Message.candidate_id == candidate.id,
                    Message.original_from_address == candidate.email,
                    Message.from_address == candidate.email,
                )
            )
            .order_by(Message.received_at, Message.id)
        )
    )
    sent = list(
        session.scalars(
            select(Outbound)
            .where(or_(Outbound.candidate_id == candidate.id, Outbound.to_address == candidate.email))
            .order_by(Outbound.created_at, Outbound.id)
        )
    )
    roles = {r.id: r for r in session.scalars(select(JobRole))}
    data = {
        "exported_at": _iso(now),
        "candidate": {"email": candidate.email, "name": candidate.name, "first_seen": _iso(candidate.created_at)},
        "applications": applications,
        "messages_from_you": [],
        "messages_to_you": [],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, message in enumerate(messages, 1):
            name = f"mail/{n:03d}.eml"
            archive.writestr(name, message.raw or b"")
            role = roles.get(message.role_id)
            data["messages_from_you"].append(
                {
                    "file": name,
                    "received_at": _iso(message.received_at),
                    "subject": message.subject,
                    "role": role.title if role else None,
                    "lane": str(message.lane) if message.lane else None,
                    "intent": message.intent,
                    "confidence": round(message.confidence, 3) if message.confidence is not None else None,
                    "reasons": list(message.reasons or []),
                    "state": str(message.state),
                }
            )
        for n, row in enumerate(sent, 1):
            name = f"sent/{n:03d}.txt"
            text = f"To: {row.to_address}\nSubject: {row.subject}\nDate: {_iso(row.sent_at or row.created_at)}\n\n"
            archive.writestr(name, text + (row.body_text or ""))
            role = roles.get(row.role_id)
            data["messages_to_you"].append(
                {
                    "file": name,
                    "kind": row.kind,
                    "subject": row.subject,
                    "role": role.title if role else None,
                    "created_at": _iso(row.created_at),
                    "sent_at": _iso(row.sent_at),
                    "state": str(row.state),
                }
            )
        archive.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False))
        archive.writestr(
            "README.txt", README.format(team=team, when=_iso(now).replace("+00:00", ""), address=candidate.email)
        )
    return buffer.getvalue()


def _applications(session: Session, candidate: Candidate) -> list[dict]:
    rows = session.execute(
        select(Application, JobRole)
        .join(JobRole, JobRole.id == Application.role_id)
        .where(Application.candidate_id == candidate.id)
        .order_by(Application.applied_at)
    ).all()
    history = _stage_history(session, [a.id for a, _ in rows])
    return [
        {
            "role": role.title,
            "reference": role.reference,
            "stage": str(app.stage),
            "applied_at": _iso(app.applied_at),
            "interview_at": _iso(app.interview_at),
            "rejected_at": _iso(app.rejected_at),
            "stage_changed_at": _iso(app.stage_changed_at),
            "our_last_update_at": _iso(app.last_update_at),
            "stage_history": history.get(app.id, []),
        }
        for app, role in rows
    ]


def _stage_history(session: Session, application_ids: list[int]) -> dict[int, list[dict]]:
    """Stage changes from the dated history (when that table exists) and the audit trail."""
    out: dict[int, list[dict]] = {}
    if not application_ids:
        return out
    events = Base.metadata.tables.get("application_events")
    if events is not None and {"application_id", "kind", "stage", "at"} <= set(events.c.keys()):
        for app_id, stage, at in session.execute(
            select(events.c.application_id, events.c.stage, events.c.at)
            .where(events.c.application_id.in_(application_ids), events.c.kind == "stage")
            .order_by(events.c.at)
        ):
            out.setdefault(app_id, []).append({"stage": str(stage), "at": _iso(at)})
    if out:
        return out
    for event in session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.target_type == "application",
            AuditEvent.target_id.in_(application_ids),
            AuditEvent.action.in_(("application.stage", "application.withdraw")),
        )
        .order_by(AuditEvent.at)
    ):
        details = event.details or {}
        stage = details.get("to_stage") or ("withdrawn" if event.action == "application.withdraw" else None)
        out.setdefault(event.target_id, []).append({"stage": stage, "at": _iso(event.at)})
    return out


def overview(session: Session, candidate: Candidate) -> dict:
    """What an admin sees before exporting or erasing: how much Triage holds about the candidate."""
    return {
        "id": candidate.id,
        "email": candidate.email,
        "name": candidate.name,
        "applications": _applications(session, candidate),
        "messages": session.scalar(
            select(func.count()).select_from(Message).where(Message.candidate_id == candidate.id)
        ),
        "sent": session.scalar(select(func.count()).select_from(Outbound).where(Outbound.candidate_id == candidate.id)),
    }
