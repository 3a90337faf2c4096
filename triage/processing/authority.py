"""May this message change an application's state by itself, or only propose the change?

A withdrawal from mail changes the application only when the mail carries authority: a team
member forwarded it (they vouched for it), or it comes straight from the candidate's address on
record (or one they wrote from before) and authenticates its From domain (DKIM, or our own
gateway's Authentication-Results; triage.mail.authentication). Otherwise the change is proposed:
stored on the message, which goes to Review with the reason, and a recruiter of the role confirms
it on the message page (triage.web.proposals).

Only the few messages that would change a state are checked, so a bulk import makes no DNS lookups.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.config import Settings
from triage.db import Application, AppStage, Candidate, CandidateAddress, Message, User, audit, one_of
from triage.db.base import utcnow
from triage.db.enums import Intent
from triage.errors import BadInput
from triage.mail import authentication
from triage.mail.parse import parse
from triage.processing.reading import Reading

log = logging.getLogger(__name__)

WITHDRAW = "withdraw"
STATE_CHANGING = {Intent.withdrawal: WITHDRAW}  # intents whose routing may change an application

_resolver: authentication.Resolver | None = None  # None: dkimpy's own DNS lookups (dnspython)


def use_resolver(resolver: authentication.Resolver | None) -> None:
    """Install the DNS resolver DKIM keys are read with (tests answer from a dict); None: real DNS."""
    global _resolver
    _resolver = resolver


@dataclass(frozen=True)
class Doubt:
    """Why a message's state change is proposed rather than applied."""

    why: str  # "the sender is not authenticated (no DKIM signature)"
    authenticity: str  # what the check found, kept on the message


def trusted_relays(settings: Settings) -> tuple[str, ...]:
    # TRIAGE_TRUSTED_AUTHSERV_IDS (triage.config): the authserv-ids of our own mail gateway.
    return settings.trusted_authserv_ids


def doubts(
    session: Session,
    settings: Settings,
    candidates: Sequence[tuple[int, object, object]],
    raws: Mapping[int, bytes] | None = None,
) -> dict[int, Doubt]:
    """For (message id, Reading, Match) of messages that may change a state: those that may not alone.

    `raws`, when it holds them, are the messages' bytes (else they are read from the database)."""
    todo = [
        (row_id, reading, m)
        for row_id, reading, m in candidates
        if reading.forwarded_by is None and not reading.error and m.application_id and m.candidate_id
    ]
    if not todo:
        return {}
    ids = [row_id for row_id, _, _ in todo]
    if raws is None or any(i not in raws for i in ids):
        raws = dict(session.execute(select(Message.id, Message.raw).where(one_of(session, Message.id, ids))).all())
    relays = trusted_relays(settings)
    on_record = dict(
        session.execute(
            select(Candidate.id, Candidate.email).where(
                one_of(session, Candidate.id, {m.candidate_id for _, _, m in todo})
            )
        ).all()
    )
    found: dict[int, Doubt] = {}
    for row_id, reading, m in todo:
        verdict = _verify(bytes(raws.get(row_id) or b""), reading, relays)
        if not verdict.authentic:
            found[row_id] = Doubt(f"the sender is not authenticated ({verdict.how})", verdict.how)
        elif not _used_before(session, m.candidate_id, reading.from_address, on_record, ids):
            found[row_id] = Doubt("first mail from this address", verdict.how)
        log.info("message %s: state change %s (%s)", row_id, "proposed" if row_id in found else "allowed", verdict.how)
    return found


def _verify(raw: bytes, reading: Reading, relays: tuple[str, ...]) -> authentication.Verdict:
    """authentication.verify, without parsing the message again when no gateway's verdict is trusted:
    then verify checks only DKIM against the From domain, which the Reading kept (read by the same
    authentication.from_domain when the message was read)."""
    if relays or reading.from_domain is None:
        return authentication.verify(parse(raw), resolver=_resolver, trusted_relays=relays)
    return authentication.dkim_verdict(raw, reading.from_domain, _resolver)


def _used_before(
    session: Session, candidate_id: int, address: str | None, on_record: dict[int, str], batch: list[int]
) -> bool:
    """The candidate's address on record, or one an earlier message of theirs came from."""
    if address is None:
        return False
    if on_record.get(candidate_id) == address:
        return True
    # An address a person merged into the candidate ("same person as …") was vouched for by that person.
    merged = session.scalar(
        select(CandidateAddress.id).where(
            CandidateAddress.candidate_id == candidate_id, CandidateAddress.address == address
        )
    )
    if merged is not None:
        return True
    earlier = session.scalar(
        select(Message.id)
        .where(
            Message.candidate_id == candidate_id, Message.from_address == address, ~one_of(session, Message.id, batch)
        )
        .limit(1)
    )
    return earlier is not None


def proposal_event(message_id: int, application_id: int, action: str, doubt: Doubt) -> dict:
    """The audit row saying the message asked for `action` but was not trusted to make it.

    A dict for the pipeline's one INSERT per batch (the caller also updates the message's row)."""
    return {
        "user_id": None,
        "action": f"application.{action}.proposed",
        "target_type": "application",
        "target_id": application_id,
        "details": {"message_id": message_id, "why": doubt.why, "source": "candidate email"},
    }


def reason(action: str, doubt: Doubt) -> str:
    """The lane reason of a proposed change."""
    what = {WITHDRAW: "candidate withdraws"}.get(action, action)
    button = {WITHDRAW: "Confirm withdrawal"}.get(action, "Confirm")
    return f"{what} — not applied: {doubt.why}; {button} on the message once you have checked with them"


def confirm(session: Session, message: Message, user: User, now: datetime | None = None) -> Application:
    """Apply the change a message proposed, for the person who confirmed it; the caller commits."""
    if message.proposal != WITHDRAW:
        raise BadInput("this message proposes no change")
    application = session.get(Application, message.application_id) if message.application_id else None
    if application is None:
        raise BadInput("this message is not linked to an application")
    now = now or utcnow()
    previous = application.stage
    if previous not in (AppStage.withdrawn, AppStage.hired, AppStage.rejected):
        application.stage = AppStage.withdrawn
        application.stage_changed_at = now
    message.proposal = None
    message.reasons = [*(message.reasons or []), f"withdrawal confirmed by {user.name}"]
    audit.record(
        session,
        user.id,
        "application.withdraw",
        "application",
        application.id,
        message_id=message.id,
        previous_stage=str(previous),
        source="confirmed from candidate email",
    )
    return application
