"""Erase candidates: every trace of a person deleted or irreversibly anonymised, in one transaction.

What the counts need stays as an anonymous husk, so a role's pipeline by stage, its chasers this
week and a batch's sent / failed figures stay true: a message keeps its date, lane, intent and
role; an outgoing email its batch, kind and state; an application its stage and dates, under a
candidate row whose address and name are gone. Everything that says who the person was or what
they wrote is blanked (raw and parsed mail, attachments' names, subjects, addresses, names,
bodies) or deleted (threads, corrections, a suppressed address). Audit rows about their mail keep
who did what and when, without the details.

Tables this module does not know by name (later features add them) are handled by their foreign
keys: a row that points at an erased candidate, application, message or email has its text
blanked. The caller commits; `remove_files` then takes the sent copies and exported corrections
out of var/.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Enum,
    Float,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    cast,
    delete,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from triage.config import Settings
from triage.db import (
    Application,
    AuditEvent,
    Base,
    Candidate,
    CandidateAddress,
    Correction,
    Erasure,
    Message,
    MessageState,
    Outbound,
    OutboxState,
    Suppression,
    Thread,
    one_of,
)
from triage.db.audit import record
from triage.db.privacy import PERSON, address_hash
from triage.errors import NotFound

log = logging.getLogger(__name__)

ERASED_DOMAIN = "erased.invalid"  # RFC 2606: can never be a real address
CHUNK = 500  # ids per IN (...) list
THOROUGH_UP_TO = 10  # erasing this few people, also search every text column for their addresses
# A person's request is rare and may take seconds; retention erases thousands and must stay quick, so
# it relies on the foreign keys alone.
REQUEST = "request"

# Columns an anonymous husk keeps: what the counts read, nothing that says who or what.
KEEP_MESSAGE = {
    "id",
    "direction",
    "channel",
    "received_at",
    "stored_at",
    "state",
    "processed_at",
    "has_html",
    "auto_reply",
    "role_id",
    "intent",
    "confidence",
    "model_version",
    "lane",
    "is_chaser",
    "answered_by_batch_id",
    "forwarded_by_id",
}
KEEP_OUTBOUND = {
    "id",
    "kind",
    "batch_id",
    "role_id",
    "created_by_id",
    "from_address",
    "automatic",
    "asks_for_info",
    "state",
    "attempts",
    "next_attempt_at",
    "created_at",
    "give_up_at",
    "sent_at",
}
KEEP_APPLICATION = {
    "id",
    "candidate_id",
    "role_id",
    "stage",
    "applied_at",
    "interview_at",
    "rejected_at",
    "last_update_at",
    "last_update_kind",
    "last_update_asked",
    "last_batch_at",
    "stage_changed_at",
}
KEEP_CANDIDATE = {"id", "created_at"}
OPEN_STATES = (
    MessageState.received,
    MessageState.triaged,
    MessageState.held,
    MessageState.snoozed,
    MessageState.failed,
)
# Tables handled by name below; any other table is handled through its foreign keys.
KNOWN = {
    "messages",
    "outbound_emails",
    "threads",
    "candidates",
    "applications",
    "corrections",
    "audit_events",
    "suppressions",
    "erasures",
    "candidate_addresses",
}
# Team members' own tables: a user who is also a candidate keeps their account.
PEOPLE_OF_OURS = {"users", "api_tokens", "login_failures", "teams", "job_roles", "templates"}
_ADDRESS = re.compile(rb"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass
class Erased:
    """What one erasure touched: counts for people, ids and addresses (in memory only) for the files."""

    candidate_ids: list[int]
    scope: str = PERSON
    counts: Counter = field(default_factory=Counter)
    message_ids: list[int] = field(default_factory=list)
    addresses: set[str] = field(default_factory=set, repr=False)

    def as_dict(self) -> dict:
        return {"candidates": len(self.candidate_ids), "scope": self.scope, **dict(sorted(self.counts.items()))}


def normalize(address: str) -> str:
    return (address or "").strip().lower()


def find(session: Session, address: str) -> Candidate:
    """The candidate with this address (not an erased husk), or NotFound."""
    address = normalize(address)
    candidate = session.scalar(select(Candidate).where(Candidate.email == address)) if address else None
    if candidate is None or candidate.email.endswith("@" + ERASED_DOMAIN):
        raise NotFound("no candidate with that address")
    return candidate


def erase(
    session: Session,
    settings: Settings,
    candidate_ids: Sequence[int],
    *,
    user_id: int | None,
    reason: str,
    now: datetime,
    scope: str = PERSON,
) -> Erased:
    """Erase these candidates (scope "person"), or only their mail ("mail": a hired candidate's
    application stays). One transaction: the caller commits, then calls `remove_files`."""
    ids = sorted(set(candidate_ids))
    result = Erased(ids, scope)
    if not ids:
        return result
    if session.get_bind().dialect.name == "sqlite":
        # Freed pages are zeroed, so the database file does not keep the erased bytes either.
        session.connection().exec_driver_sql("PRAGMA secure_delete=ON")
    people = {cid: (email, name) for cid, email, name in _rows(session, Candidate, ids, "id", "id", "email", "name")}
    addresses = {normalize(email) for email, _ in people.values() if email}
    # The extra addresses a person merged in are theirs too: flagged on return, searched, deleted.
    extra = [
        (cid, a) for cid, a in _rows(session, CandidateAddress, ids, "candidate_id", "candidate_id", "address") if a
    ]
    addresses |= {a for _, a in extra}
    result.addresses = addresses

    # A request also looks for mail from or to the address that matched no candidate (an
    # auto-reply creates none); that reads whole tables, too slow for retention's thousands.
    thorough = reason == REQUEST and len(ids) <= THOROUGH_UP_TO
    messages = _message_ids(session, ids, addresses if thorough else set())
    outbound = _outbound_ids(session, ids, addresses if thorough else set())
    applications = [a for (a,) in _rows(session, Application, ids, "candidate_id", "id")] if scope == PERSON else []
    threads = sorted(
        {t for (t,) in _rows(session, Thread, ids, "candidate_id", "id")}
        | {t for (t,) in _rows(session, Message, messages, "id", "thread_id") if t}
    )
    result.message_ids = messages
    counts = result.counts
    counts["messages"] = len(messages)
    counts["outbound"] = len(outbound)
    counts["threads"] = len(threads)

    for part in _chunks(messages):
        counts["corrections"] += _count(
            _write(session, delete(Correction).where(one_of(session, Correction.message_id, part)))
        )
    linked = {"messages": messages, "outbound_emails": outbound, "threads": threads}
    if scope == PERSON:
        linked.update(candidates=ids, applications=applications)
    counts["other_rows"] += _scrub_linked(session, linked)

    message_values = _blanks(Message.__table__, KEEP_MESSAGE)
    message_values["dedupe_key"] = literal("erased-") + cast(Message.id, String)
    message_values["content_hash"] = "erased"
    message_values["reasons"] = ["data erased"]
    for part in _chunks(messages):
        _write(session, update(Message).where(one_of(session, Message.id, part)).values(message_values))
        _write(
            session,
            update(Message)
            .where(one_of(session, Message.id, part), Message.state.in_(OPEN_STATES))
            .values(state=MessageState.archived),
        )
    outbound_values = _blanks(Outbound.__table__, KEEP_OUTBOUND)
    outbound_values["message_id"] = literal("<erased-") + cast(Outbound.id, String) + literal(f"@{ERASED_DOMAIN}>")
    for part in _chunks(outbound):
        # A row not yet sent never will be: its recipient is gone.
        _write(
            session,
            update(Outbound)
            .where(one_of(session, Outbound.id, part), Outbound.state == OutboxState.queued)
            .values(state=OutboxState.cancelled),
        )
        _write(session, update(Outbound).where(one_of(session, Outbound.id, part)).values(outbound_values))
    for part in _chunks(threads):
        _write(session, delete(Thread).where(one_of(session, Thread.id, part)))

    counts["audit_rows"] += _scrub_audit(session, messages, applications, ids if scope == PERSON else [])
    if scope == PERSON:
        _write(session, delete(CandidateAddress).where(one_of(session, CandidateAddress.candidate_id, ids)))
        application_values = _blanks(Application.__table__, KEEP_APPLICATION)
        for part in _chunks(applications):
            _write(session, update(Application).where(one_of(session, Application.id, part)).values(application_values))
        counts["applications"] = len(applications)
        candidate_values = _blanks(Candidate.__table__, KEEP_CANDIDATE)
        candidate_values["email"] = literal("erased-") + cast(Candidate.id, String) + literal(f"@{ERASED_DOMAIN}")
        _write(session, update(Candidate).where(one_of(session, Candidate.id, ids)).values(candidate_values))
        for part in _chunks(sorted(addresses)):
            _write(session, delete(Suppression).where(func.lower(Suppression.address).in_(part)))
    if thorough and addresses:
        counts["other_rows"] += _scrub_mentions(session, addresses)

    session.execute(
        Erasure.__table__.insert(),
        [
            {
                "at": now,
                "user_id": user_id,
                "scope": scope,
                "reason": reason,
                "address_hash": address_hash(settings.secret_key, address),
                "candidate_id": cid,
                "counts": {},
            }
            for cid, address in [(cid, people[cid][0]) for cid in ids if cid in people] + extra
        ],
    )
    for cid in ids:
        # Who, when and how much; never the address or the name.
        record(session, user_id, f"candidate.erase_{scope}", "candidate", cid, reason=reason, **_summary(counts, ids))
    session.flush()
    log.info("erased %s candidate(s) (%s, %s): %s", len(ids), scope, reason, dict(counts))
    return result


def _summary(counts: Counter, ids: list[int]) -> dict:
    if len(ids) == 1:
        return dict(counts)
    return {"batch_of": len(ids)}


def remove_files(session: Session, settings: Settings, erased: Erased, *, vacuum: bool = True) -> int:
    """After the commit: delete the sent copies the sink keeps under var/, drop the erased messages'
    corrections from exported .jsonl files, and on SQLite rewrite the database file (VACUUM) and
    empty the write-ahead log, so that no old page image or slack space keeps the erased bytes.
    Returns how many files were removed or rewritten.

    secure_delete zeroes what a DELETE or UPDATE frees, but SQLite may have left copies of a row in
    a page's slack when it moved rows between pages long before; only VACUUM rewrites those. It
    holds the write lock for as long as it takes (intake waits, it does not fail), so the retention
    run, which must never stall intake, passes vacuum=False."""
    touched = 0
    var = Path(settings.var_dir)
    if erased.addresses and (var / "sink").is_dir():
        wanted = {a.encode() for a in erased.addresses}
        for path in (var / "sink").rglob("*"):
            if path.is_file() and wanted & {m.lower() for m in _ADDRESS.findall(path.read_bytes())}:
                path.unlink()
                touched += 1
    if var.is_dir():
        markers = [f'"correction-{m}"'.encode() for m in erased.message_ids] + [a.encode() for a in erased.addresses]
        for path in var.rglob("*.jsonl"):
            if path.is_file() and markers:
                touched += _drop_lines(path, markers)
    if session.get_bind().dialect.name == "sqlite":
        session.commit()  # VACUUM cannot run inside a transaction
        with session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if vacuum:
                try:
                    conn.exec_driver_sql("VACUUM")
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                except OperationalError as exc:  # the erasure is committed; the next VACUUM will do
                    log.warning("erasure committed; VACUUM could not run now (%s)", type(exc).__name__)
            else:
                # TRUNCATE would make intake's writers wait while the whole log is copied back.
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    return touched


def _drop_lines(path: Path, markers: list[bytes]) -> int:
    lines = path.read_bytes().splitlines(keepends=True)
    kept = [line for line in lines if not any(m in line.lower() for m in markers)]
    if len(kept) == len(lines):
        return 0
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(b"".join(kept))
    tmp.chmod(0o600)
    tmp.replace(path)
    return 1


def _write(session: Session, statement):
    # The session holds none of these rows: skip the ORM's look through its identity map.
    return session.execute(statement, execution_options={"synchronize_session": False})


def _chunks(ids: Sequence) -> Iterable[list]:
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _count(result) -> int:
    return max(result.rowcount or 0, 0)


def _rows(session: Session, model, ids: Sequence, key: str, *columns: str) -> list:
    out: list = []
    for part in _chunks(ids):
        table = model.__table__
        out += session.execute(select(*(table.c[c] for c in columns)).where(one_of(session, table.c[key], part))).all()
    return out


def _message_ids(session: Session, candidate_ids: list[int], addresses: set[str]) -> list[int]:
    found = {m for (m,) in _rows(session, Message, candidate_ids, "candidate_id", "id")}
    # Mail from the address that matched no candidate (an auto-reply creates none).
    for part in _chunks(sorted(addresses)):
        found.update(
            session.scalars(
                select(Message.id).where(
                    Message.candidate_id.is_(None),
                    or_(
                        func.lower(Message.original_from_address).in_(part),
                        func.lower(Message.from_address).in_(part),
                    ),
                )
            )
        )
    return sorted(found)


def _outbound_ids(session: Session, candidate_ids: list[int], addresses: set[str]) -> list[int]:
    found = {o for (o,) in _rows(session, Outbound, candidate_ids, "candidate_id", "id")}
    for part in _chunks(sorted(addresses)):
        found.update(
            session.scalars(
                select(Outbound.id).where(Outbound.candidate_id.is_(None), func.lower(Outbound.to_address).in_(part))
            )
        )
    return sorted(found)


def _is_text(column: Column) -> bool:
    t = column.type
    if isinstance(t, Enum):
        return False  # a word from a fixed list (a stage, a state): says nothing about a person
    return isinstance(t, (String, Text, LargeBinary, JSON))


def _blank_value(column: Column):
    if column.nullable:
        return None
    t = column.type
    if isinstance(t, LargeBinary):
        return b""
    if isinstance(t, JSON):
        default = column.default.arg(None) if column.default is not None and column.default.is_callable else None
        return default if isinstance(default, (list, dict)) else {}
    return ""


def _blanks(table: Table, keep: set[str]) -> dict:
    """New values that blank every column of `table` outside `keep` (ids and dates stay)."""
    values: dict = {}
    for column in table.columns:
        if column.name in keep or column.primary_key:
            continue
        if _is_text(column):
            values[column.name] = _blank_value(column)
        elif column.foreign_keys:
            if column.nullable:
                values[column.name] = None
        elif isinstance(column.type, (Integer, Float)) and not isinstance(column.type, Boolean):
            values[column.name] = None if column.nullable else 0
        # Booleans and dates stay: they say nothing of a person on their own.
    return values


def _scrub_linked(session: Session, linked: dict[str, list[int]]) -> int:
    """Blank the text of rows in other tables that point at what is being erased."""
    done = 0
    for table in Base.metadata.sorted_tables:
        if table.name in KNOWN:
            continue
        texts = {c.name: _blank_value(c) for c in table.columns if _is_text(c) and not c.foreign_keys}
        for column in table.columns:
            for fk in column.foreign_keys:
                ids = linked.get(fk.column.table.name)
                if not ids:
                    continue
                for part in _chunks(ids):
                    where = one_of(session, column, part)
                    if fk.column.table.name == "threads":  # threads are deleted: let go of them first
                        if column.nullable:
                            _write(session, update(table).where(where).values({column.name: None}))
                        else:
                            _write(session, delete(table).where(where))
                        continue
                    if texts:
                        done += _count(_write(session, update(table).where(where).values(texts)))
    return done


def _scrub_audit(session: Session, messages: list[int], applications: list[int], candidates: list[int]) -> int:
    done = 0
    for kind, ids in (("message", messages), ("application", applications), ("candidate", candidates)):
        for part in _chunks(ids):
            done += _count(
                _write(
                    session,
                    update(AuditEvent)
                    .where(AuditEvent.target_type == kind, one_of(session, AuditEvent.target_id, part))
                    .values(details={}),
                )
            )
    return done


def _scrub_mentions(session: Session, addresses: set[str]) -> int:
    """Search every other text column (and the audit details) for the addresses; blank what holds one."""
    done = 0
    for table in Base.metadata.sorted_tables:
        if table.name in (KNOWN | PEOPLE_OF_OURS) - {"audit_events"}:
            continue
        for column in table.columns:
            if (
                not _is_text(column)
                or isinstance(column.type, LargeBinary)
                or column.foreign_keys
                or column.primary_key
            ):
                continue
            as_text = func.lower(cast(column, Text))
            for address in addresses:
                pattern = "%" + address.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                done += _count(
                    _write(
                        session,
                        update(table)
                        .where(as_text.like(pattern, escape="\\"))
                        .values({column.name: _blank_value(column)}),
                    )
                )
    return done
