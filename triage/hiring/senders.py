"""Decisions about an unknown sender from the Review lane: add them as an applicant to a role, or say
they are the same person as an existing candidate (their address becomes one of the candidate's).

The sender's open Review messages go back to `received` so the pipeline routes them again, now
with an application; the decision is audited (and the pipeline's new placement is what a person
sees next).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from triage.db import (
    Application,
    AppStage,
    Base,
    Candidate,
    CandidateAddress,
    JobRole,
    Lane,
    Message,
    MessageState,
    audit,
)
from triage.errors import BadInput

REOPENED = (MessageState.triaged, MessageState.failed)
SEARCH_LIMIT = 20  # candidates offered for "same person as ..."


def sender_address(message: Message) -> str:
    """The candidate's address of a message (the original sender of a forward), normalised; BadInput if none."""
    address = (message.original_from_address or message.from_address or "").strip().lower()
    if "@" not in address:
        raise BadInput("this message has no sender address to add")
    return address


def candidate_by_address(session: Session, address: str) -> Candidate | None:
    """The candidate whose main or extra address this is (`address` normalised)."""
    candidate = session.scalar(select(Candidate).where(Candidate.email == address))
    if candidate is None:
        candidate = session.scalar(select(Candidate).join(CandidateAddress).where(CandidateAddress.address == address))
    return candidate


def _reopen(session: Session, message: Message, candidate_id: int) -> list[Message]:
    """Put the candidate's open Review messages (and this one) back to `received` for the pipeline."""
    again = list(
        session.scalars(
            select(Message).where(
                Message.candidate_id == candidate_id, Message.lane == Lane.review, Message.state.in_(REOPENED)
            )
        )
    )
    if message not in again:
        again.append(message)
    for row in again:
        row.candidate_id = candidate_id
        row.state = MessageState.received
        row.lane = None
    session.flush()
    return again


def add_as_applicant(
    session: Session, message: Message, role: JobRole, stage: AppStage | str, actor_id: int | None, now: datetime
) -> list[int]:
    """Make the sender an applicant of `role`; return the ids of their messages to route again."""
    try:
        stage = AppStage(stage)
    except ValueError:
        raise BadInput(f"{stage!r} is not a stage") from None
    candidate = message.candidate
    if candidate is None:
        address = sender_address(message)
        candidate = candidate_by_address(session, address)
        if candidate is None:
            candidate = Candidate(email=address, name=message.original_from_name or message.from_name or "")
            session.add(candidate)
            session.flush()
    existing = session.scalar(
        select(Application).where(Application.candidate_id == candidate.id, Application.role_id == role.id)
    )
    if existing is not None:
        raise BadInput(f"{candidate.email} already applies to {role.reference} ({existing.stage.value})")
    application = Application(
        candidate_id=candidate.id, role_id=role.id, stage=stage, applied_at=message.received_at, stage_changed_at=now
    )
    session.add(application)
    session.flush()
    again = _reopen(session, message, candidate.id)
    audit.record(
        session,
        actor_id,
        "sender.add_applicant",
        "message",
        message.id,
        candidate_id=candidate.id,
        role_id=role.id,
        application_id=application.id,
        stage=stage.value,
        rerouted=[row.id for row in again],
    )
    return [row.id for row in again]


def candidates_like(session: Session, query: str, role_ids: set[int] | None) -> list[Candidate]:
    """Candidates whose name or address (main or extra) contains `query`, among applicants of `role_ids`
    (None: of any role); a sender without an application is nobody to merge into."""
    words = (query or "").strip().lower()
    if not words:
        return []
    pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    extra = select(CandidateAddress.candidate_id).where(CandidateAddress.address.like(pattern, escape="\\"))
    applicants = select(Application.candidate_id)
    if role_ids is not None:
        applicants = applicants.where(Application.role_id.in_(role_ids))
    return list(
        session.scalars(
            select(Candidate)
            .where(
                Candidate.id.in_(applicants),
                or_(
                    func.lower(Candidate.name).like(pattern, escape="\\"),
                    Candidate.email.like(pattern, escape="\\"),
                    Candidate.id.in_(extra),
                ),
            )
            .order_by(Candidate.name, Candidate.email)
            .limit(SEARCH_LIMIT)
        )
    )


def may_merge_into(session: Session, candidate: Candidate, role_ids: set[int] | None) -> bool:
    """Whether `candidate` applies to one of `role_ids` (None: to any role)."""
    query = select(Application.id).where(Application.candidate_id == candidate.id)
    if role_ids is not None:
        query = query.where(Application.role_id.in_(role_ids))
    return session.scalar(query.limit(1)) is not None


def same_person(
    session: Session, message: Message, candidate: Candidate, actor_id: int | None, now: datetime
) -> list[int]:
    """Add the sender's address to `candidate` ("same person as ..."); return the ids of the messages to route again.

    The sender's own candidate row, when it is only what matching made for an unknown address (no
    application), is folded into `candidate`: its messages, threads and emails move over and it goes.
    An address that belongs to another real candidate is refused.
    """
    if message.lane != Lane.review:
        raise BadInput("only a message in Review can be merged into a candidate")
    address = sender_address(message)
    if candidate.email == address:
        raise BadInput("this is already the candidate's own address")
    extra = session.scalar(select(CandidateAddress).where(CandidateAddress.address == address))
    if extra is not None and extra.candidate_id != candidate.id:
        raise BadInput("this address already belongs to another candidate; nothing was merged")
    owner = session.scalar(select(Candidate).where(Candidate.email == address))
    folded = None
    if owner is not None:
        if session.scalar(select(Application.id).where(Application.candidate_id == owner.id).limit(1)) is not None:
            raise BadInput(
                "this address already belongs to another candidate, who has applications; nothing was merged"
            )
        folded = owner.id
        _fold(session, owner, candidate)
    if extra is None:
        session.add(
            CandidateAddress(candidate_id=candidate.id, address=address, created_at=now, created_by_id=actor_id)
        )
        session.flush()
    again = _reopen(session, message, candidate.id)
    # Who and which candidate; never the address or a body (the audit outlives the mail).
    audit.record(
        session,
        actor_id,
        "sender.same_person",
        "message",
        message.id,
        candidate_id=candidate.id,
        folded_candidate_id=folded,
        rerouted=[row.id for row in again],
    )
    return [row.id for row in again]


def _fold(session: Session, stub: Candidate, into: Candidate) -> None:
    """Move every row pointing at `stub` (messages, threads, emails, tables added later) to `into`; delete it."""
    for table in Base.metadata.sorted_tables:
        if table.name == Candidate.__tablename__:
            continue
        for column in table.columns:
            if any(fk.column.table.name == Candidate.__tablename__ for fk in column.foreign_keys):
                session.execute(update(table).where(column == stub.id).values({column.name: into.id}))
    session.expire_all()  # the ORM's copies of the moved rows are stale
    session.delete(session.get(Candidate, stub.id))
    session.flush()
