"""The mail we sent before the demo's present: our requests to applicants, on record as sent.

When the demo says we asked an applicant for something (people.Applicant.asked), their recruiter
wrote to them days ago, and routing's "answers our request of 28 Nov" rests on that email. It is
written as the product writes a reply that asks (outbox.new_row, outbox.record_asks, the
application's latest contact, see outbox.create_reply, which needs a message to answer) and is
marked sent on its day: it is the past, so no job is enqueued and no relay ever sees it. It shows
in the conversation, the message timeline and the application timeline like any email we sent.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from triage.config import Settings
from triage.db import Application, OutboxState, Thread
from triage.demo.people import Applicant, Request
from triage.outbound import mime, outbox
from triage.processing.policy import TeamPolicy

# What we asked for (subject, our text) and how the applicant answers it (traffic: info_response).
# Placeholders: {role} {ref} {name} {first} {recruiter}.
ASKS = [
    (
        "{role} ({ref}): your references",
        "Hi {first},\n\nThank you for the screening call about the {role} role. Before we arrange the "
        "next step, could you send me the names and contact details of two professional references?\n\n"
        "Best regards,\n{recruiter}",
        "Hi,\n\nAs you asked, here are my references:\n\n- Sarah Cole, former manager, +44 20 7946 0011\n"
        "- David Park, team lead, david.park@example.org\n\nBest,\n{name}",
    ),
    (
        "{role} ({ref}): notice period and start date",
        "Hi {first},\n\nThanks for your time on the phone. To plan the next step for the {role} role, "
        "could you let me know your notice period, your earliest start date and your salary "
        "expectations?\n\nKind regards,\n{recruiter}",
        "Hello,\n\nMy notice period is four weeks and I could start on the 5th of next month. My salary "
        "expectation is in the range we discussed.\n\nRegards,\n{name}",
    ),
    (
        "{role} ({ref}): examples of your work",
        "Hi {first},\n\nThank you for applying for the {role} role. Could you send me a link to your "
        "portfolio or a few recent examples of your work? The hiring manager would like to see them "
        "before the interviews.\n\nBest wishes,\n{recruiter}",
        "Hi, please find my portfolio here: https://portfolio.example.net/{first}. Let me know if you "
        "need anything else for the {role} application.\n\n{first}",
    ),
]


def record_requests(
    session: Session, settings: Settings, applicants: Iterable[Applicant], rng: random.Random, now: datetime
) -> int:
    """Write, as sent 8–12 days before `now`, our request to each asked applicant; return how many.

    Each applicant's `request` is set, so that their answer (triage.demo.traffic) threads under it.
    The caller commits."""
    asked = [(person, session.get(Application, person.application_id)) for person in applicants if person.asked]
    planned = []
    for person, application in asked:
        role = application.role
        recruiter = role.owner
        subject, text, answer = rng.choice(ASKS)
        words = {
            "role": role.title,
            "ref": role.reference,
            "name": person.name,
            "first": person.name.split()[0],
            "recruiter": recruiter.name,
        }
        day = now - timedelta(days=rng.randint(8, 12))  # inside routing's window for an answer
        at = day.replace(hour=rng.randint(9, 16), minute=rng.randint(0, 59), second=rng.randint(0, 59), microsecond=0)
        subject = subject.format(**words)
        thread = Thread(candidate_id=application.candidate_id, role_id=role.id, subject=subject, created_at=at)
        session.add(thread)
        planned.append((person, application, thread, at, subject, text.format(**words), answer))
    session.flush()  # the threads' ids, in one go
    rows = []
    for person, application, thread, at, subject, text, answer in planned:
        role = application.role
        row = outbox.new_row(
            settings,
            kind="reply",
            to_address=application.candidate.email,
            to_name=application.candidate.name,
            subject=subject,
            body_text=text,
            body_html=mime.text_to_html(text),
            now=at,
            hold_seconds=TeamPolicy.of(role).undo_send_seconds,
            from_name=role.owner.name,
            application_id=application.id,
            candidate_id=application.candidate_id,
            role_id=role.id,
            thread_id=thread.id,
            created_by_id=role.owner.id,
            automatic=False,
            asks_for_info=True,
        )
        # Sent when its undo window closed, as delivery would have marked it; never queued.
        row.state, row.attempts, row.sent_at = OutboxState.sent, 1, row.next_attempt_at
        session.add(row)
        application.last_update_at = at
        application.last_update_kind = "reply"
        application.last_update_asked = True
        person.request = Request(row.message_id, subject, answer)
        rows.append((application.id, row, at))
    session.flush()  # the rows' ids
    for application_id, row, at in rows:
        outbox.record_asks(session, [(application_id, row.id)], what=row.subject, user_id=row.created_by_id, now=at)
    return len(rows)
