"""Retention: erase what a team keeps no longer, in small transactions, and say what the next run will erase.

Per team (TeamPolicy): a candidate whose every application is rejected or withdrawn is erased
`retention_closed_months` after their last activity; a hired candidate's mail (not the
application: they work here now) `retention_hired_months` after it. The last activity is the
latest of: a stage change, our last update, mail from them, mail to them. A candidate with
applications in several teams keeps the longest of those periods.

Intake must never wait on this: each transaction erases a few candidates (at most PART_MESSAGES
messages), commits, and lets go before the next one.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.config import Settings
from triage.db import Application, AppStage, Candidate, Database, JobRole, Message, Outbound, Team
from triage.db.audit import record
from triage.db.privacy import MAIL, PERSON
from triage.privacy import erase
from triage.processing.policy import TeamPolicy

log = logging.getLogger(__name__)

CLOSED = {AppStage.rejected, AppStage.withdrawn}
PART_MESSAGES = 250  # messages per transaction on SQLite (one writer): a few hundred milliseconds at most
# PostgreSQL locks rows, not the database: intake's inserts never wait on these parts, so they can be
# bigger (fewer round trips); still small enough that a failure loses little work.
PART_MESSAGES_SERVER = 2000
PART_CANDIDATES = 50
# SQLite has one writer at a time, and a writer that found it busy retries after up to 100 ms: a run
# that took the lock again at once would keep intake out for good. Between parts it steps aside.
SQLITE_PAUSE = 0.12


@dataclass(frozen=True)
class Due:
    """One candidate the next run erases (scope "person") or whose mail it erases ("mail")."""

    candidate_id: int
    scope: str
    last_activity: datetime
    months: int
    messages: int
    outbound: int


def due(session: Session, now: datetime) -> list[Due]:
    """Everything the retention run at `now` would erase, oldest activity first."""
    policies = {
        team_id: TeamPolicy.from_json(policy) for team_id, policy in session.execute(select(Team.id, Team.policy))
    }
    default = TeamPolicy()
    apps: dict[int, list[tuple]] = {}
    for row in session.execute(
        select(
            Application.candidate_id,
            Application.stage,
            Application.stage_changed_at,
            Application.last_update_at,
            Application.applied_at,
            JobRole.team_id,
        )
        .join(JobRole, JobRole.id == Application.role_id)
        .join(Candidate, Candidate.id == Application.candidate_id)
        .where(Candidate.email.not_like(f"%@{erase.ERASED_DOMAIN}"))
    ):
        apps.setdefault(row.candidate_id, []).append(row)
    mail = _latest(session, Message.candidate_id, Message.received_at)
    sent = _latest(session, Outbound.candidate_id, Outbound.created_at)
    found: list[Due] = []
    for candidate_id, rows in apps.items():
        stages = {AppStage(r.stage) for r in rows}
        times = [t for r in rows for t in (r.stage_changed_at, r.last_update_at, r.applied_at) if t]
        n_mail, last_mail = mail.get(candidate_id, (0, None))
        n_sent, last_sent = sent.get(candidate_id, (0, None))
        last = max([*times, *(t for t in (last_mail, last_sent) if t)])
        if stages <= CLOSED:
            scope, months = PERSON, max(policies.get(r.team_id, default).retention_closed_months for r in rows)
        elif AppStage.hired in stages and (n_mail or n_sent):
            hired = [r for r in rows if r.stage == AppStage.hired]
            scope, months = MAIL, max(policies.get(r.team_id, default).retention_hired_months for r in hired)
        else:
            continue
        if last < now - relativedelta(months=months):
            found.append(Due(candidate_id, scope, last, months, n_mail, n_sent))
    found.sort(key=lambda d: (d.last_activity, d.candidate_id))
    return found


def _latest(session: Session, candidate_column, time_column) -> dict[int, tuple[int, datetime]]:
    rows = session.execute(
        select(candidate_column, func.count(), func.max(time_column))
        .where(candidate_column.is_not(None))
        .group_by(candidate_column)
    )
    return {cid: (n, last) for cid, n, last in rows}


def parts(items: Iterable[Due], limit: int = PART_MESSAGES) -> Iterable[list[Due]]:
    """Group candidates of one scope so that each transaction writes at most `limit` messages."""
    part: list[Due] = []
    weight = 0
    for item in items:
        size = item.messages + item.outbound + 1
        if part and (weight + size > limit or len(part) >= PART_CANDIDATES or part[0].scope != item.scope):
            yield part
            part, weight = [], 0
        part.append(item)
        weight += size
    if part:
        yield part


def _checkpoint(database: Database) -> None:
    """Copy the log back into the database file now, without blocking writers: otherwise an intake
    commit that finds the log past SQLite's threshold pays for copying everything this run wrote."""
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


def run(database: Database, settings: Settings, now: datetime) -> dict:
    """Erase what is due, a few candidates per transaction; returns the counts (also audited)."""
    with database.session() as session:
        items = due(session, now)
    totals: Counter = Counter()
    addresses: set[str] = set()
    message_ids: list[int] = []
    ordered = sorted(items, key=lambda d: d.scope)
    limit = PART_MESSAGES if database.is_sqlite else PART_MESSAGES_SERVER
    for part in parts(ordered, limit):
        with database.session() as session:
            erased = erase.erase(
                session,
                settings,
                [d.candidate_id for d in part],
                user_id=None,
                reason="retention",
                now=now,
                scope=part[0].scope,
            )
            session.commit()
        if database.is_sqlite:
            _checkpoint(database)
            time.sleep(SQLITE_PAUSE)
        totals[f"{part[0].scope}_candidates"] += len(part)
        totals.update({k: v for k, v in erased.counts.items() if k in ("messages", "outbound")})
        addresses |= erased.addresses
        message_ids += erased.message_ids
    with database.session() as session:
        files = erase.remove_files(
            session, settings, erase.Erased([], addresses=addresses, message_ids=message_ids), vacuum=False
        )
        counts = {
            "candidates_erased": totals[f"{PERSON}_candidates"],
            "hired_mail_erased": totals[f"{MAIL}_candidates"],
            "messages": totals["messages"],
            "outbound": totals["outbound"],
            "files": files,
        }
        record(session, None, "retention.run", "retention", None, **counts)
        session.commit()
    log.info("retention run: %s", counts)
    return counts
