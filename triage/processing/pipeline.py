"""process(message ids): parse → unwrap → strip → match → classify → route, in batches.

Idempotent: only rows still in state `received` are processed (on PostgreSQL they are locked
with SKIP LOCKED, so two workers never process the same row), and the row, the application's
stage and the audit trail change in one commit.

One bad message fails alone: a batch that cannot be stored is processed again in halves (its
readings kept), down to the message that fails, which is marked failed with the reason and put
in Review. A database that is down or busy fails the whole job instead, for RQ to retry: an
outage must not mark good mail failed.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from rq.timeouts import BaseTimeoutException
from sqlalchemy import insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from triage.config import Settings
from triage.db import (
    Application,
    AppStage,
    AuditEvent,
    Database,
    JobRole,
    Lane,
    Message,
    MessageState,
    Team,
    one_of,
)
from triage.db.base import utcnow
from triage.db.enums import Intent
from triage.errors import Unavailable
from triage.mail import urgency
from triage.outbound import dispatch
from triage.outbound.acknowledge import acknowledge as acknowledge_chaser
from triage.processing import asks, authority, forwards, routing
from triage.processing.matching import AppInfo, Context, Match, assign_threads, load_context, load_team, match
from triage.processing.matching import Team as TeamAddresses
from triage.processing.policy import TeamPolicy
from triage.processing.reading import Reading, clean, read
from triage.runtime import jobs

log = logging.getLogger(__name__)

BATCH = 500
COPY_FROM = 50  # rows from which one COPY beats an executemany UPDATE (PostgreSQL)
# The search index (migrations 0004) reads the whole subject: a tsvector holds at most 1 MB, and a
# folded Subject of a few MB made the row impossible to store. The body is capped in the index.
SUBJECT_MAX = 2000
# SQLSTATE classes that say the database, not this batch's data, is the problem: connection (08),
# rollback/deadlock (40), resources (53), operator intervention (57), system (58), lock timeout.
_OUTAGE_STATES = ("08", "40", "53", "57", "58", "55P03")

_model = None
_model_error: str | None = None
_model_stamp: tuple | None = None  # which file (and version of it) _model was loaded from
_model_installed = False  # set by use_model: keep that model, whatever is active on disk

Analysed = tuple[Reading, "object | None"]  # (reading, Prediction or None)
Mapper = Callable[[Callable, Iterable], Iterable]


# --- the model, loaded once per process -------------------------------------------------------
def preload(runtime) -> None:
    """Load the intent model once (the worker calls this before it forks)."""
    load_model(runtime.settings)


def load_model(settings: Settings):
    """Load the active model into this process, or reload it when another has been activated.

    Called at the start of every job: it costs two stat() calls when nothing changed. If a newly
    activated model fails to load, the one already loaded stays in use (and the error is logged).
    """
    global _model, _model_error, _model_stamp
    if _model_installed:
        return _model
    from triage.classifier import store  # lazy: scikit-learn loads only where mail is classified

    try:
        path = store.locate(settings)
        stamp = store.stamp(path)
    except (store.ModelError, OSError) as exc:
        return _failed(str(exc))
    if stamp == _model_stamp:
        return _model
    from triage import classifier  # lazy: as above

    try:
        model = classifier.load(path)
    except classifier.ModelError as exc:
        _model_stamp = stamp  # don't retry a broken file on every job; a new file has a new stamp
        return _failed(str(exc))
    if _model is not None:
        log.info("switching intent model %s -> %s", _model.name, model.name)
    _model, _model_error, _model_stamp = model, None, stamp
    # The model's many long-lived objects leave the cyclic collector's generations: every
    # collection stopped scanning them (a bulk import spent two thirds less time in the GC), and
    # forked children (pool processes, work horses) share those pages instead of touching them.
    # Objects freed by reference counting (the model a reload replaces) are still freed.
    gc.freeze()
    return _model


def _failed(error: str):
    global _model_error
    if _model is not None:
        log.error("keeping intent model %s: the active one does not load: %s", _model.name, error)
        return _model
    log.error("no intent model: %s", error)
    _model_error = error
    return None


def use_model(model) -> None:
    """Install a model object that stays until replaced (tests and benchmarks); None forgets it."""
    global _model, _model_error, _model_stamp, _model_installed
    _model, _model_error, _model_stamp, _model_installed = model, None, None, model is not None


# --- the pure part: read and classify (runs in worker processes during import) -----------------
def analyse(raws: Sequence[bytes], team: frozenset[str]) -> list[Analysed]:
    """Read each message and classify the readable ones in one batch."""
    from triage.classifier import predict  # lazy: as in load_model

    readings = [read(raw, team) for raw in raws]
    predictions: list = [None] * len(readings)
    if _model is not None:
        todo = [i for i, r in enumerate(readings) if not r.error]
        found = predict(_model, [(readings[i].subject, readings[i].reply_text) for i in todo])
        for i, prediction in zip(todo, found):
            predictions[i] = prediction
    return list(zip(readings, predictions))


def analyse_chunk(args: tuple[Sequence[bytes], frozenset[str]]) -> list[Analysed]:
    return analyse(*args)


# --- the job ----------------------------------------------------------------------------------
PENDING_ACKS = "triage.pending_acknowledgements"


@dataclass
class Outcome:
    processed: int = 0
    skipped: int = 0  # already processed, or being processed elsewhere
    failed: int = 0  # could not be stored or routed: marked failed, in Review with the reason
    lanes: dict[str, int] = field(default_factory=dict)
    acknowledgements: list[int] = field(default_factory=list)  # outbox ids, committed


def process(ids: list[int]) -> dict:
    """RQ entry point: process these message ids (safe to run twice)."""
    rt = jobs.runtime()
    load_model(rt.settings)
    outcome = run(rt.database, rt.settings, ids)
    if outcome.acknowledgements:
        try:
            dispatch.enqueue_delivery(rt.redis, outcome.acknowledgements)
        except Exception as exc:  # noqa: BLE001 - the rows are committed; the outbox sweeper sends them
            log.warning(
                "could not enqueue %d acknowledgement(s): %s", len(outcome.acknowledgements), type(exc).__name__
            )
    return {
        "processed": outcome.processed,
        "skipped": outcome.skipped,
        "failed": outcome.failed,
        "lanes": outcome.lanes,
        "acknowledged": len(outcome.acknowledgements),
    }


def run(
    database: Database,
    settings: Settings,
    ids: Sequence[int],
    *,
    mapper: Mapper | None = None,
    raws: dict[int, bytes] | None = None,
    acknowledge: bool = True,
    read_ahead: dict[int, Analysed] | None = None,
) -> Outcome:
    """Process ids in batches, each in its own transaction; `mapper` may spread reading over processes,
    `read_ahead` may hold readings already made (the bulk import reads ahead in its pool)."""
    outcome = Outcome()
    options = dict(mapper=mapper, raws=raws, acknowledge=acknowledge)
    for start in range(0, len(ids), BATCH):
        _run_batch(database, settings, list(ids[start : start + BATCH]), outcome, read_ahead, options)
    return outcome


def _run_batch(
    database: Database,
    settings: Settings,
    ids: list[int],
    outcome: Outcome,
    read_ahead: dict[int, Analysed] | None,
    options: dict,
) -> None:
    """Process one batch in one transaction; if it fails, its halves, until the failing message is alone."""
    kept: dict[int, Analysed] = {}  # the readings made, so that the halves are not read again
    try:
        with database.session() as session:
            done = process_batch(session, settings, ids, read_ahead=read_ahead, keep=kept, **options)
            session.commit()
            outcome.acknowledgements += session.info.pop(PENDING_ACKS, [])
    except Exception as exc:  # noqa: BLE001 - narrowed below: an outage re-raises, a bad message fails alone
        if _outage(exc, database):
            if isinstance(exc, DBAPIError):  # its text holds the SQL statement: RQ's record needs only the kind
                raise Unavailable(f"the database is unavailable ({_kind(exc)}); retry") from None
            raise
        if len(ids) == 1:
            _mark_failed(database, ids[0], exc)
            outcome.failed += 1
            return
        log.warning("a batch of %d message(s) failed (%s); processing it in halves", len(ids), _kind(exc))
        known = {**(read_ahead or {}), **kept}
        half = len(ids) // 2
        for part in (ids[:half], ids[half:]):
            ready = known if all(i in known for i in part) else None
            _run_batch(database, settings, part, outcome, ready, options)
        return
    outcome.processed += len(done)
    outcome.skipped += len(ids) - len(done)
    for lane in done:
        outcome.lanes[lane] = outcome.lanes.get(lane, 0) + 1


def _outage(exc: BaseException, database: Database) -> bool:
    """True when the database (or the job's time) is the problem rather than a message in the batch."""
    if isinstance(exc, BaseTimeoutException):
        return True  # RQ's job timeout: the job fails and is retried, no message is to blame
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        state = getattr(exc.orig, "sqlstate", None) or ""
        if state.startswith(_OUTAGE_STATES):
            return True
        if "database is locked" in str(exc.orig):  # SQLite's busy timeout
            return True
    try:
        database.ping()
    except Exception:  # noqa: BLE001 - any failure to answer is an outage
        return True
    return False


def _kind(exc: BaseException) -> str:
    """The exception's type, and the driver's when SQLAlchemy wraps one: what a log line may say."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return f"{type(exc).__name__}/{type(exc.orig).__name__}"
    return type(exc).__name__


def _reason(exc: BaseException) -> str:
    """What Review shows: the error's type and the first line of its message (never the SQL or its values)."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    first = (str(cause).strip().splitlines() or [""])[0]
    return clean(f"could not be processed: {type(cause).__name__}: {first}"[:500])


def _mark_failed(database: Database, message_id: int, exc: BaseException) -> None:
    """Put a message that cannot be processed in Review, failed, with the reason (the sweeper leaves it)."""
    reason = _reason(exc)
    with database.session() as session:
        session.execute(
            update(Message)
            .where(Message.id == message_id, Message.state == MessageState.received)
            .values(state=MessageState.failed, lane=Lane.review, error=reason, reasons=[reason], processed_at=utcnow())
        )
        session.commit()
    log.warning("message %s failed processing (%s); marked failed", message_id, _kind(exc))


@dataclass
class Row:
    id: int
    envelope_to: str | None
    received_at: datetime  # for a team member's forward, once read: when the candidate wrote
    forwarded_at: datetime | None = None  # then: when the forward itself arrived


def process_batch(
    session: Session,
    settings: Settings,
    ids: Sequence[int],
    *,
    mapper: Mapper | None = None,
    raws: dict[int, bytes] | None = None,
    acknowledge: bool = True,
    read_ahead: dict[int, Analysed] | None = None,
    keep: dict[int, Analysed] | None = None,
) -> list[str]:
    """Process the rows among ids still in state received; return their lanes. The caller commits.

    `keep`, when given, receives the readings made (by id), for a retry of part of the batch."""
    started = time.perf_counter()
    ready = read_ahead if read_ahead is not None and all(i in read_ahead for i in ids) else None
    columns = [Message.id, Message.envelope_to, Message.received_at]
    if raws is None and ready is None:
        columns.append(Message.raw)
    query = (
        select(*columns)
        .where(one_of(session, Message.id, ids), Message.state == MessageState.received)
        .order_by(Message.received_at, Message.id)
        .with_for_update(skip_locked=True, of=Message)
    )
    fetched = session.execute(query).all()
    if not fetched:
        return []
    rows = [Row(r[0], r[1], r[2]) for r in fetched]
    team = forwards.with_forwarding_addresses(session, load_team(session, settings))
    if ready is not None:
        analysed = [ready[r.id] for r in rows]
    else:
        blobs = [raws[r.id] for r in rows] if raws is not None else [bytes(r[3]) for r in fetched]
        analysed = _analyse(blobs, team.addresses, mapper)
    if keep is not None:
        keep.update(zip((r.id for r in rows), analysed))
    readings = [a[0] for a in analysed]
    for row, reading in zip(rows, readings):
        when = forwards.candidate_time(row.received_at, reading)
        if when != row.received_at:
            row.forwarded_at, row.received_at = row.received_at, when
    forwarders = forwards.unregistered_forwarders(session, readings)
    # A forwarder is matched as a team member (no candidate is made in their name) and told apart below.
    matching_team = TeamAddresses(team.users, team.aliases | forwarders) if forwarders else team
    context = load_context(session, settings, matching_team, readings)
    matches = [match(context, reading, row.envelope_to) for row, reading in zip(rows, readings)]
    for reading, m in zip(readings, matches):
        if reading.from_address in forwarders and reading.original_from_address in forwarders:
            m.problems[:] = [forwards.hint(reading)] + [p for p in m.problems if p != forwards.TEAM_SENDER_PROBLEM]
    assign_threads(session, matches, [r.subject for r in readings])
    doubts = authority.doubts(
        session,
        settings,
        [
            (row.id, reading, m)
            for row, (reading, prediction), m in zip(rows, analysed, matches)
            if prediction is not None and prediction.intent in authority.STATE_CHANGING
        ],
        raws=raws,
    )
    lanes = _route(session, settings, context, rows, analysed, matches, doubts, acknowledge)
    log.info("processed %d message(s) in %.0f ms", len(rows), (time.perf_counter() - started) * 1000)
    return lanes


def _analyse(blobs: list[bytes], team: frozenset[str], mapper: Mapper | None) -> list[Analysed]:
    if mapper is None or len(blobs) < 50:
        return analyse(blobs, team)
    size = max(25, len(blobs) // 8)
    chunks = [(blobs[i : i + size], team) for i in range(0, len(blobs), size)]
    return [item for part in mapper(analyse_chunk, chunks) for item in part]


# --- routing ----------------------------------------------------------------------------------
def _policies(session: Session, threshold: float) -> dict[int, TeamPolicy]:
    """Each role's team policy, read once per batch (roles without a team take the defaults)."""
    rows = session.execute(select(JobRole.id, Team.id, Team.policy).join(Team, JobRole.team_id == Team.id)).all()
    by_team = {team_id: TeamPolicy.from_json(policy, threshold) for _, team_id, policy in rows}
    return {role_id: by_team[team_id] for role_id, team_id, _ in rows}


def history_for(app: AppInfo | None, status_checks: Iterable[datetime]) -> routing.History:
    if app is None:
        return routing.History()
    row = app.row
    kind = row.last_update_kind if row.last_update_kind in ("reply", "batch") else None
    return routing.History(
        stage=app.stage,
        applied_at=row.applied_at,
        interviewed_at=row.interview_at,
        rejected_at=row.rejected_at,
        last_contact_at=row.last_update_at,
        last_contact_kind=kind if row.last_update_at else None,
        last_contact_asked=bool(row.last_update_asked) if row.last_update_at else False,
        earlier_status_checks=tuple(status_checks),
    )


def _status_checks(
    session: Session, rows: list[Row], analysed: list[Analysed], matches: list[Match]
) -> dict[int, list[datetime]]:
    app_ids = {m.application_id for m in matches if m.application_id}
    checks: dict[int, list[datetime]] = {}
    if app_ids:
        batch_ids = [r.id for r in rows]
        for app_id, when in session.execute(
            select(Message.application_id, Message.received_at).where(
                one_of(session, Message.application_id, app_ids),
                Message.intent == Intent.status_check,
                ~one_of(session, Message.id, batch_ids),
            )
        ):
            checks.setdefault(app_id, []).append(when)
    for row, (_, prediction), m in zip(rows, analysed, matches):
        if m.application_id and prediction is not None and prediction.intent == Intent.status_check:
            checks.setdefault(m.application_id, []).append(row.received_at)
    return checks


def _route(
    session: Session,
    settings: Settings,
    context: Context,
    rows: list[Row],
    analysed: list[Analysed],
    matches: list[Match],
    doubts: dict[int, authority.Doubt],
    acknowledge: bool,
) -> list[str]:
    """Decide each message's lane and store every row's outcome with one UPDATE (or COPY) per batch.

    The state changes a message may only propose, and the hint of an unregistered forward, are
    written in the same rows: no second UPDATE per message (the bulk import writes thousands)."""
    now = utcnow()
    threshold = float(_model.meta.get("threshold", 0.5)) if _model is not None else 0.5
    # An older model has no must-answer threshold: 1.0 leaves its lanes as they were.
    must_threshold = float(_model.meta.get("must_answer_threshold", 1.0)) if _model is not None else 1.0
    policies = _policies(session, threshold)
    default_policy = TeamPolicy.from_json(None, threshold)
    version = _model.name[:80] if _model is not None else None
    apps = {a.id: a for apps in context.applications.values() for a in apps}
    checks = _status_checks(session, rows, analysed, matches)
    updates, lanes, chasers, withdrawn, events = [], [], [], [], []
    for row, (reading, prediction), m in zip(rows, analysed, matches):
        values = _fields(reading, m, context.team)
        values.update(
            id=row.id,
            processed_at=now,
            model_version=version,
            received_at=row.received_at,
            forwarded_at=row.forwarded_at,
        )
        if reading.error:
            values.update(
                lane=Lane.review, reasons=[clean(reading.error)], error=clean(reading.error), state=MessageState.triaged
            )
        elif prediction is None:
            reasons = [f"no intent model available ({_model_error or 'not loaded'})"[:500], *m.problems]
            values.update(lane=Lane.review, reasons=reasons, state=MessageState.triaged)
        else:
            app = apps.get(m.application_id) if m.application_id else None
            policy = policies.get(m.role_id, default_policy)
            urgent = urgency.detect(reading.subject, reading.reply_text, row.received_at)
            signal = routing.Signal(
                intent=prediction.intent,
                confidence=min(max(prediction.confidence, 0.0), 1.0),
                received_at=row.received_at,
                auto_reply=reading.auto_reply,
                sender_known=m.sender_known,
                role_matched=m.role_id is not None,
                must_answer=min(max(prediction.must_answer, 0.0), 1.0),
                must_answer_threshold=must_threshold,
                urgency=urgent.reason if urgent is not None else None,
                attachments=asks.attachments(reading.attachments),
                links=asks.links(reading.reply_text),
            )
            decision = routing.decide(signal, history_for(app, checks.get(m.application_id, ())), policy)
            reasons = list(decision.reasons)
            if decision.lane is Lane.review:
                reasons += [p for p in m.problems if p not in reasons]
            elif m.how:
                reasons.append(m.how)
            values.update(
                intent=prediction.intent,
                confidence=float(prediction.confidence),
                lane=decision.lane,
                reasons=reasons,
                is_chaser=decision.is_chaser,
                due_at=decision.due_at,
                state=MessageState.held if decision.lane is Lane.held else MessageState.triaged,
            )
            if decision.withdraws and app is not None:
                doubt = doubts.get(row.id)
                events.append(_withdrawal_event(app, row.id, doubt))
                if doubt is None:
                    withdrawn.append({"id": app.id, "stage": AppStage.withdrawn, "stage_changed_at": now})
                    app.stage = AppStage.withdrawn
                else:  # proposed, not applied: waits in Review on its message (processing/authority.py)
                    values.update(
                        proposal=authority.WITHDRAW,
                        authenticity=clean(doubt.authenticity)[:300],
                        lane=Lane.review,
                        state=MessageState.triaged,
                        reasons=[authority.reason(authority.WITHDRAW, doubt)],
                    )
            # Never acknowledge a backfilled chaser: the candidate wrote long ago.
            if (
                decision.is_chaser
                and decision.lane is Lane.held
                and now - row.received_at <= policy.acknowledge_max_age
            ):
                chasers.append(row)
        if reading.unregistered_forward and values["lane"] == Lane.review and "proposal" not in values:
            _hint_first(values["reasons"], forwards.hint(reading))
        updates.append(values)
        lanes.append(str(values["lane"]))
    if events:  # one executemany, in the order the ORM's flush of audit.record() rows kept
        session.execute(insert(AuditEvent), events)
    if withdrawn:  # one executemany, not a round trip per withdrawal
        session.execute(update(Application), withdrawn)
    # COPY takes one set of columns: the rows that carry a proposal go in their own executemany.
    plain = [u for u in updates if "proposal" not in u]
    proposing = [u for u in updates if "proposal" in u]
    if len(plain) >= COPY_FROM and session.get_bind().dialect.name == "postgresql":
        from triage.db import pgcopy

        pgcopy.update_by_id(session.connection(), Message.__table__, plain)
    elif plain:
        session.execute(update(Message), plain)
    if proposing:
        session.execute(update(Message), proposing)
    if acknowledge:
        _acknowledge(session, settings, chasers)
    return lanes


def _fields(reading: Reading, m: Match, team: TeamAddresses) -> dict:
    return {
        "error": None,
        "from_address": reading.from_address,
        "from_name": reading.from_name,
        "original_from_address": reading.original_from_address,
        "original_from_name": reading.original_from_name,
        "forwarded_by_id": team.users.get(reading.forwarded_by) if reading.forwarded_by else None,
        "subject": reading.subject[:SUBJECT_MAX] if reading.subject else reading.subject,
        "sent_at": reading.sent_at,
        "body_text": reading.body_text,
        "reply_text": reading.reply_text,
        "has_html": reading.has_html,
        "in_reply_to": reading.in_reply_to[:998] if reading.in_reply_to else reading.in_reply_to,
        "references": list(reading.references),
        "auto_reply": reading.auto_reply,
        "attachments": list(reading.attachments),
        "defects": list(reading.defects),
        "candidate_id": m.candidate_id,
        "application_id": m.application_id,
        "role_id": m.role_id,
        "thread_id": m.thread_id,
        "intent": None,
        "confidence": None,
        "reasons": [],
        "is_chaser": False,
        "due_at": None,
    }


def _withdrawal_event(app: AppInfo, message_id: int, doubt: authority.Doubt | None) -> dict:
    """The audit row of a candidate's withdrawal: applied, or only proposed (see processing/authority.py)."""
    if doubt is not None:
        return authority.proposal_event(message_id, app.id, authority.WITHDRAW, doubt)
    details = {"message_id": message_id, "previous_stage": str(app.stage), "source": "candidate email"}
    return {
        "user_id": None,
        "action": "application.withdraw",
        "target_type": "application",
        "target_id": app.id,
        "details": details,
    }


def _hint_first(reasons: list[str], hint: str) -> None:
    """Put the unregistered-forward hint first among a Review message's reasons, when it is there."""
    if reasons and reasons[0] != hint and hint in reasons:
        reasons[:] = [hint] + [r for r in reasons if r != hint]


def _acknowledge(session: Session, settings: Settings, chasers: list[Row]) -> None:
    """Queue an automatic acknowledgement for each held chaser that should get one.

    The new outbox ids wait in session.info until `run` has committed them."""
    if not chasers:
        return
    pending = session.info.setdefault(PENDING_ACKS, [])
    for row in chasers:
        message = session.get(Message, row.id)
        outbound = acknowledge_chaser(session, message, settings) if message is not None else None
        if outbound is not None:
            session.flush()
            pending.append(outbound.id)
