"""Before a batch goes: the preview (every recipient, the first emails and the outliers) and the one
confirmation that names the count ("Send 77 emails to REQ-1045 candidates?"), checked on the server."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.db import Batch, JobRole
from triage.db.base import utcnow
from triage.errors import BadInput
from triage.outbound import mime, unfilled
from triage.outbound.batches.content import asks, get_template, policy_for, render_for, sender_name
from triage.outbound.batches.recipients import select_recipients
from triage.outbound.batches.roster import recipients

OUTLIERS_AMONG = 5000  # recipients rendered to find the outliers (a batch is ~100; rendering is ~20 µs)


def check_next_update(next_update_on: date, today: date | None = None) -> None:
    """Refuse a promise ("we will be in touch again by ...") dated before today."""
    if next_update_on < (today or utcnow().date()):
        raise BadInput(f"the next update date {next_update_on.isoformat()} is in the past")


def preview(
    session: Session,
    *,
    role_ids: list[int],
    stages: list[str],
    template_id: int,
    next_update_on: date,
    override: bool = False,
    user_id: int | None = None,
    limit: int = 3,
) -> dict:
    """The count, every recipient (name, address, role, stage), the skips, the question Send asks,
    and emails rendered exactly as they would go:
    the first `limit`, then the outliers (the shortest, the longest, any without a name), each
    `sample` saying why it is shown. A template that would leave a hole refuses here, by name."""
    check_next_update(next_update_on)
    template = get_template(session, template_id)
    asking = asks(template)
    selection = select_recipients(session, role_ids, stages, override=override or asking)
    sender = sender_name(session, user_id)
    policy = policy_for(session, role_ids)
    rendered = []
    for index, application in enumerate(selection.applications[:OUTLIERS_AMONG]):
        email = render_for(template, application, next_update_on, sender, policy.privacy_notice_url)
        problems = unfilled.problems(email.subject, email.body_text, email.body_html)
        if problems:
            raise BadInput(f"template {template.name!r}: {'; '.join(problems)}; edit the template first")
        rendered.append((index, application, email))
    chosen: dict[int, list[str]] = {}
    for index, _, _ in rendered[:limit]:
        chosen.setdefault(index, []).append(f"recipient {index + 1}")
    if rendered:
        lengths = sorted(rendered, key=lambda r: (len(r[2].body_text), r[0]))
        chosen.setdefault(lengths[0][0], []).append("the shortest")
        chosen.setdefault(lengths[-1][0], []).append("the longest")
        for index, application, _ in rendered:
            if not (application.candidate.name or "").strip():
                chosen.setdefault(index, []).append("no name on file")
    samples = [
        {
            "to": application.candidate.email,
            "to_name": application.candidate.name,
            "role_id": application.role_id,
            "subject": mime.clean_header_text(email.subject),
            "body_text": email.body_text,
            "body_html": email.body_html,
            "why": ", ".join(chosen[index]),
        }
        for index, application, email in rendered
        if index in chosen
    ]
    count = len(selection.applications)
    return {
        "count": count,
        "recipients": recipients(selection.applications),
        "skipped": dict(selection.skipped),
        "skipped_who": selection.skipped_who,
        "samples": samples,
        "asks": asking,
        "question": question(session, role_ids, count),
        "undo_seconds": policy.undo_send_seconds,
    }


def question(session: Session, role_ids: list[int], count: int, when: str | None = None) -> str:
    """What Send asks before a batch goes: 'Send 77 emails to REQ-1045 candidates?', or with
    `when` (a time said to a person) 'Schedule 77 emails to REQ-1045 candidates for 11 Dec 2026 09:00?'."""
    refs = sorted(session.scalars(select(JobRole.reference).where(JobRole.id.in_(role_ids))))
    roles = " and ".join([", ".join(refs[:-1]), refs[-1]] if len(refs) > 1 else refs)
    emails = f"{count} email{'s' if count != 1 else ''} to {roles} candidates"
    return f"Schedule {emails} for {when}?" if when else f"Send {emails}?"


def check_confirmed(session: Session, role_ids: list[int], count: int, confirm: int | None) -> None:
    """Refuse to send unless the sender confirmed exactly the number that would go now."""
    if confirm is None:
        raise NotConfirmed(
            f"not sent: confirm first. {question(session, role_ids, count)} (send again with confirm={count})", count
        )
    if confirm != count:
        raise NotConfirmed(
            f"not sent: you confirmed {confirm} emails but {count} would go now (the candidates changed); "
            f"{question(session, role_ids, count)} (send again with confirm={count})",
            count,
        )


def require_confirmation(session: Session, batch: Batch, confirm: int | None) -> int:
    """What a person's Send must carry: refuse (NotConfirmed, with the count) when `confirm` is missing."""
    if confirm is not None:
        return confirm
    template = get_template(session, batch.template_id)
    count = len(
        select_recipients(
            session, batch.role_ids, batch.stages, override=batch.override_frequency or asks(template)
        ).applications
    )
    check_confirmed(session, batch.role_ids, count, None)
    return count  # not reached: check_confirmed raised


class NotConfirmed(BadInput):
    """Send was not confirmed with the number of emails that would go; `count` is that number."""

    def __init__(self, message: str, count: int) -> None:
        super().__init__(message)
        self.count = count
