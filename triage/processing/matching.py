"""Match messages to candidate, role, application and thread, a batch at a time.

A role comes from, in order: the per-role address (jobs+REQ-1042@), a role reference in the
subject or new text, the thread (In-Reply-To/References naming one of our outbound mails), a
role title in the subject or new text, the candidate's only active application. Otherwise
the message goes to Review with the reason.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Row, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from triage.config import Settings
from triage.db import (
    Application,
    AppStage,
    Candidate,
    CandidateAddress,
    Erasure,
    JobRole,
    Outbound,
    Thread,
    User,
    one_of,
)
from triage.db.privacy import PERSON, address_hash
from triage.processing.reading import Reading

CLOSED_STAGES = (AppStage.hired, AppStage.rejected, AppStage.withdrawn)
TEXT_SCAN = 5000  # characters of the new text searched for role references and titles
PREVIOUSLY_ERASED = "previously erased: this address's data was erased before; it starts fresh"


@dataclass(frozen=True)
class Team:
    """Who forwards for us: active users' addresses (with their ids) and configured aliases."""

    users: dict[str, int]
    aliases: frozenset[str]

    @property
    def addresses(self) -> frozenset[str]:
        return frozenset(self.users) | self.aliases


def load_team(session: Session, settings: Settings) -> Team:
    users = {
        email.lower(): id_
        for id_, email in session.execute(select(User.id, User.email).where(User.active.is_(True))).all()
    }
    return Team(users, frozenset(a.lower() for a in settings.team_aliases))


@dataclass(frozen=True)
class Role:
    id: int
    reference: str
    title: str
    is_open: bool


class Roles:
    """All roles, with the patterns that find their references and titles in text."""

    def __init__(self, roles: Sequence[Role]) -> None:
        self.by_id = {r.id: r for r in roles}
        self.by_reference = {r.reference.lower(): r for r in roles}
        self._references = _alternation(r.reference for r in roles)
        self._titles = _alternation(r.title for r in roles if len(r.title.strip()) >= 4)
        self._by_title: dict[str, list[Role]] = {}
        for r in roles:
            self._by_title.setdefault(" ".join(r.title.lower().split()), []).append(r)

    @classmethod
    def load(cls, session: Session) -> Roles:
        rows = tuple(
            tuple(row) for row in session.execute(select(JobRole.id, JobRole.reference, JobRole.title, JobRole.is_open))
        )
        # Building the patterns costs more than the query: reuse the last batch's while the roles are the same.
        global _last_roles
        if _last_roles is None or _last_roles[0] != rows:
            _last_roles = (rows, cls([Role(*row) for row in rows]))
        return _last_roles[1]

    def referenced(self, text: str) -> set[int]:
        if self._references is None:
            return set()
        return {self.by_reference[m.group(0).lower()].id for m in self._references.finditer(text)}

    def titled(self, text: str) -> set[int]:
        if self._titles is None:
            return set()
        found: set[int] = set()
        for m in self._titles.finditer(text):
            found.update(r.id for r in self._by_title.get(" ".join(m.group(0).lower().split()), ()))
        return found


_last_roles: tuple[tuple, Roles] | None = None  # (the rows read, the Roles made of them)


def _alternation(words: Iterable[str]) -> re.Pattern | None:
    words = sorted({w.strip() for w in words if w and w.strip()}, key=len, reverse=True)
    if not words:
        return None
    parts = [r"\s+".join(re.escape(piece) for piece in w.split()) for w in words]
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])", re.IGNORECASE)


def role_from_recipients(recipients: Iterable[str], inbound: Iterable[str], roles: Roles) -> Role | None:
    """The role pinned by a per-role address such as jobs+REQ-1042@ (an inbound address plus a tag)."""
    inbound = {a.lower() for a in inbound}
    for address in recipients:
        local, _, domain = address.lower().rpartition("@")
        base, plus, tag = local.partition("+")
        if plus and f"{base}@{domain}" in inbound:
            role = roles.by_reference.get(tag)
            if role is not None:
                return role
    return None


# What routing needs to know of an application (its history), loaded per batch.
APP_COLUMNS = (
    Application.id,
    Application.candidate_id,
    Application.role_id,
    Application.stage,
    Application.applied_at,
    Application.interview_at,
    Application.rejected_at,
    Application.last_update_at,
    Application.last_update_kind,
    Application.last_update_asked,
)


@dataclass
class AppInfo:
    id: int
    candidate_id: int
    role_id: int
    stage: AppStage
    row: Row  # APP_COLUMNS


@dataclass
class Match:
    candidate_id: int | None = None
    sender_known: bool = False
    role_id: int | None = None
    application_id: int | None = None
    thread_id: int | None = None
    how: str | None = None  # how the role was found, in words
    problems: list[str] = field(default_factory=list)  # why it goes to Review, in words


@dataclass
class Context:
    """Everything a batch of messages is matched against, loaded with a few queries."""

    settings: Settings
    team: Team
    roles: Roles
    candidates: dict[str, int]  # address -> id
    applications: dict[int, list[AppInfo]]  # candidate id -> applications
    outbound: dict[str, tuple[int | None, int | None, int | None, int | None]]  # Message-ID -> ids
    erased: frozenset[str] = frozenset()  # senders whose data was erased before (triage.privacy)


def load_context(session: Session, settings: Settings, team: Team, readings: Sequence[Reading]) -> Context:
    """Load roles, candidates (creating new senders), their applications and our referenced mail."""
    roles = Roles.load(session)
    senders: dict[str, str] = {}
    for r in readings:
        address = r.original_from_address
        if address and address not in team.addresses and not r.error:
            senders.setdefault(address, r.original_from_name or "")
    candidates = _candidates(session, senders, create={r.original_from_address for r in readings if not r.auto_reply})
    applications: dict[int, list[AppInfo]] = {}
    if candidates:
        # Plain rows, not ORM objects: hundreds per batch, read-only (a withdrawal is an UPDATE).
        for app in session.execute(
            select(*APP_COLUMNS).where(one_of(session, Application.candidate_id, set(candidates.values())))
        ):
            applications.setdefault(app.candidate_id, []).append(
                AppInfo(app.id, app.candidate_id, app.role_id, AppStage(app.stage), app)
            )
    ids = {i for r in readings for i in (r.in_reply_to, *r.references) if i}
    outbound = {}
    if ids:
        outbound = {
            row[0]: tuple(row[1:])
            for row in session.execute(
                select(
                    Outbound.message_id,
                    Outbound.role_id,
                    Outbound.application_id,
                    Outbound.thread_id,
                    Outbound.candidate_id,
                ).where(one_of(session, Outbound.message_id, ids))
            )
        }
    return Context(settings, team, roles, candidates, applications, outbound, _erased(session, settings, senders))


def _erased(session: Session, settings: Settings, senders: dict[str, str]) -> frozenset[str]:
    """The senders an erasure was recorded for: only a keyed hash of each address is stored."""
    if not senders:
        return frozenset()
    hashes = {_address_hash(settings.secret_key, a): a for a in senders}
    found = session.scalars(
        select(Erasure.address_hash).where(Erasure.scope == PERSON, one_of(session, Erasure.address_hash, hashes))
    )
    return frozenset(hashes[h] for h in found)


@functools.lru_cache(maxsize=16384)
def _address_hash(secret_key: str, address: str) -> str:
    # An HMAC per sender per batch was a tenth of a bulk import's matching; the same senders recur.
    return address_hash(secret_key, address)


def _candidates(session: Session, senders: dict[str, str], create: set[str | None]) -> dict[str, int]:
    if not senders:
        return {}
    found = dict(
        session.execute(select(Candidate.email, Candidate.id).where(one_of(session, Candidate.email, senders))).all()
    )
    others = [a for a in senders if a not in found]
    if others:  # an extra address ("same person as ...", triage.hiring.senders) counts like the candidate's own
        found.update(
            session.execute(
                select(CandidateAddress.address, CandidateAddress.candidate_id).where(
                    one_of(session, CandidateAddress.address, others)
                )
            ).all()
        )
    new = [{"email": a, "name": (n or "")[:200]} for a, n in senders.items() if a not in found and a in create]
    if new:
        dialect = session.get_bind().dialect.name
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Candidate)
        session.execute(insert.on_conflict_do_nothing(index_elements=["email"]), new)
        found.update(
            session.execute(
                select(Candidate.email, Candidate.id).where(one_of(session, Candidate.email, [n["email"] for n in new]))
            ).all()
        )
    return found


def match(context: Context, reading: Reading, envelope_to: str | None) -> Match:
    """Match one read message against the batch's context."""
    result = Match()
    if reading.error:
        result.problems.append(reading.error)
        return result
    address = reading.original_from_address
    if address is None:
        result.problems.append("no sender address")
    elif address in context.team.addresses:
        result.problems.append("sent by a team member, not a forwarded candidate mail")
    else:
        result.candidate_id = context.candidates.get(address)
        if address in context.erased:
            result.problems.append(PREVIOUSLY_ERASED)
    apps = context.applications.get(result.candidate_id, []) if result.candidate_id else []
    result.sender_known = bool(apps)

    role, how = _role(context, reading, envelope_to, apps, result)
    if role is not None:
        result.role_id, result.how = role, how
        for app in apps:
            if app.role_id == role:
                result.application_id = app.id
    return result


def _role(
    context: Context, reading: Reading, envelope_to: str | None, apps: list[AppInfo], result: Match
) -> tuple[int | None, str | None]:
    recipients = ([envelope_to.lower()] if envelope_to else []) + list(reading.recipients)
    pinned = role_from_recipients(recipients, context.settings.inbound_addresses, context.roles)
    if pinned is not None:
        return pinned.id, f"role {pinned.reference} from the address it was sent to"
    text = f"{reading.subject}\n{reading.reply_text[:TEXT_SCAN]}"
    referenced = context.roles.referenced(text)
    if len(referenced) == 1:
        role = context.roles.by_id[next(iter(referenced))]
        return role.id, f"role {role.reference} named in the message"
    for message_id in (reading.in_reply_to, *reversed(reading.references)):
        ours = context.outbound.get(message_id) if message_id else None
        if ours and ours[0] is not None:
            result.thread_id = ours[2]
            return ours[0], "reply to our email about the role"
    titled = context.roles.titled(text)
    applied = {a.role_id for a in apps}
    if len(titled) > 1 and len(titled & applied) == 1:
        titled = titled & applied
    if len(titled) == 1:
        role = context.roles.by_id[next(iter(titled))]
        return role.id, f"role title {role.title!r} in the message"
    active = [a for a in apps if a.stage not in CLOSED_STAGES]
    only = active if active else apps
    if len(only) == 1:
        role = context.roles.by_id.get(only[0].role_id)
        return only[0].role_id, f"the candidate's only {'active ' if active else ''}application" + (
            f" ({role.reference})" if role else ""
        )
    if len(referenced) > 1 or len(titled) > 1:
        result.problems.append("several roles mentioned")
    elif len(only) > 1:
        result.problems.append(f"candidate has {len(only)} applications and none is named")
    return None, None


def assign_threads(session: Session, matches: Sequence[Match], subjects: Sequence[str]) -> None:
    """Give each matched message its (candidate, role) thread, creating threads that are missing."""
    pairs = {(m.candidate_id, m.role_id) for m in matches if m.thread_id is None and m.candidate_id and m.role_id}
    if not pairs:
        return
    existing: dict[tuple[int, int], int] = {}
    rows = session.execute(
        select(Thread.candidate_id, Thread.role_id, Thread.id)
        .where(one_of(session, Thread.candidate_id, {c for c, _ in pairs}))
        .order_by(Thread.id)
    ).all()
    for candidate_id, role_id, thread_id in rows:
        existing.setdefault((candidate_id, role_id), thread_id)
    missing: dict[tuple[int, int], str] = {}
    for m, subject in zip(matches, subjects):
        key = (m.candidate_id, m.role_id)
        if m.thread_id is None and key in pairs and key not in existing:
            missing.setdefault(key, (subject or "")[:998])
    if missing:  # one multi-row INSERT ... RETURNING, not one round trip per thread
        rows = [{"candidate_id": c, "role_id": r, "subject": subject} for (c, r), subject in missing.items()]
        created = session.execute(
            insert(Thread).returning(Thread.id, Thread.candidate_id, Thread.role_id, sort_by_parameter_order=True), rows
        ).all()
        existing.update({(c, r): id_ for id_, c, r in created})
    for m in matches:
        key = (m.candidate_id, m.role_id)
        if m.thread_id is None and key in existing:
            m.thread_id = existing[key]
