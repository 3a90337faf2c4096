"""`triage import`: store files' messages in batches and run the whole pipeline in-process.

The fast path, three stages working on different batches at once:
- reading and classifying in a process pool (the stdlib's, forked after the model is loaded so
  each process shares it), a few batches ahead;
- storing (one COPY or executemany per batch, committed) in a thread, ahead of processing, so
  the database's work on one batch overlaps this process's work on another;
- matching and routing in this process with a few set-based queries per batch.
Stored rows wait in state received; if the import dies, the sweeper queues them for the workers.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from triage.config import Settings
from triage.db import Channel, Database
from triage.errors import Unavailable
from triage.intake import files
from triage.intake.accept import Delivery, accept_many, enqueue
from triage.processing import pipeline
from triage.processing.matching import load_team
from triage.runtime import queues

log = logging.getLogger(__name__)

BATCH = 500
READ_AHEAD = 2  # batches read (and stored) ahead of the one being routed
CHUNKS = 4  # pool tasks per batch


@dataclass
class Summary:
    new: int = 0
    duplicate: int = 0
    failed: int = 0
    lanes: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # "source: what went wrong", the first few
    unlisted: int = 0  # errors past the first few

    def fail(self, source: str, error: str, n: int = 1) -> None:
        self.failed += n
        if len(self.errors) < 20:
            self.errors.append(f"{source}: {error}")
        else:
            self.unlisted += 1


def _batches(items: Iterable[files.Item], size: int) -> Iterator[list[files.Item]]:
    batch: list[files.Item] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def workers() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 4))


def run(
    settings: Settings,
    paths: list[Path],
    *,
    use_queue: bool = False,
    received_from_date: bool = False,
    advance: Callable[[int], None] = lambda n: None,
    database: Database | None = None,
    processes: int | None = None,
) -> Summary:
    """Import every message under paths; with use_queue the workers process them instead."""
    own = database is None
    database = database or Database(settings.database_url)
    summary = Summary()
    redis = None
    if use_queue:
        redis = queues.connect(settings)
    else:
        pipeline.load_model(settings)
    processes = workers() if processes is None else processes
    pool = None
    if not use_queue and processes > 1:
        # Fork so the children inherit the loaded model instead of loading it again.
        pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"))
    # One thread: batches are stored one after another, in file order (ids follow arrival).
    storer = ThreadPoolExecutor(1, thread_name_prefix="import-store")
    try:
        team = _team(database, settings) if pool is not None else None
        ahead: deque[_Batch] = deque()
        for items in _batches(files.items(paths), BATCH):
            ahead.append(
                _Batch(
                    items, _read_ahead(pool, items, team), storer.submit(_store, database, items, received_from_date)
                )
            )
            if len(ahead) > READ_AHEAD:
                done = ahead.popleft()
                _finish(settings, database, done, summary, redis, pool)
                advance(len(done.items))
        while ahead:
            done = ahead.popleft()
            _finish(settings, database, done, summary, redis, pool)
            advance(len(done.items))
    finally:
        storer.shutdown(wait=True, cancel_futures=True)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if own:
            database.dispose()
    return summary


@dataclass
class _Batch:
    items: list[files.Item]
    read_ahead: list[Future] | None  # the pool's Analysed results, in order of the readable items
    stored: Future  # of _Stored


@dataclass
class _Stored:
    readable: list[files.Item]
    accepted: list | None  # None: not stored, see error
    error: str | None = None


def _team(database: Database, settings: Settings) -> frozenset[str] | None:
    """The team's addresses for reading ahead (None: read in the pipeline, as the workers do)."""
    try:
        with database.session() as session:
            return load_team(session, settings).addresses
    except DBAPIError:
        return None


def _read_ahead(
    pool: ProcessPoolExecutor | None, batch: list[files.Item], team: frozenset[str] | None
) -> list[Future] | None:
    if pool is None or team is None:
        return None
    raws = [i.raw for i in batch if i.raw is not None]
    size = max(25, -(-len(raws) // CHUNKS))
    return [pool.submit(pipeline.analyse_chunk, (raws[i : i + size], team)) for i in range(0, len(raws), size)]


def _collect(futures: list[Future] | None, accepted: list, count: int) -> dict[int, pipeline.Analysed] | None:
    """The read-ahead results of the newly stored messages, by id (None: read them in the pipeline)."""
    if futures is None:
        return None
    try:
        results = [r for f in futures for r in f.result()]
    except Exception as exc:  # noqa: BLE001 - the pipeline reads them itself; say only what failed
        log.warning("reading ahead failed (%s); reading in the pipeline instead", type(exc).__name__)
        return None
    if len(results) != count:
        return None
    return {a.id: r for a, r in zip(accepted, results) if not a.duplicate}


def _store(database: Database, items: list[files.Item], received_from_date: bool) -> _Stored:
    # What files.items refused (unreadable, not an email) has no bytes: counted as failed, by name.
    readable = [i for i in items if i.raw is not None]
    if not readable:
        return _Stored(readable, [])
    deliveries = [
        Delivery(
            raw=i.raw, channel=Channel.import_, received_at=files.header_date(i.raw) if received_from_date else None
        )
        for i in readable
    ]
    try:
        return _Stored(readable, accept_many(database, deliveries, None))
    except Unavailable as exc:
        return _Stored(readable, None, str(exc))


def _finish(
    settings: Settings, database: Database, batch: _Batch, summary: Summary, redis, pool: ProcessPoolExecutor | None
) -> None:
    """Count what the batch's store did, then process (or queue) its new messages."""
    for item in batch.items:
        if item.raw is None:
            summary.fail(item.source, item.error or "cannot read")
    stored: _Stored = batch.stored.result()
    readable, accepted = stored.readable, stored.accepted
    if not readable:
        return
    if accepted is None:
        summary.fail(readable[0].source, f"{len(readable)} message(s) not stored: {stored.error}", len(readable))
        return
    new = {a.id: item.raw for a, item in zip(accepted, readable) if not a.duplicate}
    summary.new += len(new)
    summary.duplicate += len(accepted) - len(new)
    again = [a.id for a in accepted if a.duplicate]  # stored before but maybe never processed
    if redis is not None:
        if not enqueue(redis, [*new, *again]):
            summary.fail(readable[0].source, "stored, but Redis is down: the sweeper will queue them", 0)
        return
    try:
        # An import is a backfill: never acknowledge old chasers to candidates.
        outcome = pipeline.run(
            database,
            settings,
            list(new),
            mapper=pool.map if pool else None,
            raws=new,
            acknowledge=False,
            read_ahead=_collect(batch.read_ahead, accepted, len(readable)),
        )
        if again:
            pipeline.run(database, settings, again, acknowledge=False)
    except Exception as exc:  # noqa: BLE001 - counted for the summary; no mail in the log
        log.error("processing a batch of %d message(s) failed (%s)", len(new), type(exc).__name__)
        summary.fail(
            readable[0].source, f"stored but not processed ({type(exc).__name__}); the sweeper will retry", len(new)
        )
        summary.new -= len(new)
        return
    for lane, n in outcome.lanes.items():
        summary.lanes[lane] = summary.lanes.get(lane, 0) + n
    if outcome.failed:  # stored, so not counted as failed; a person sees them in Review
        summary.fail(readable[0].source, f"{outcome.failed} message(s) could not be processed: in Review, failed", 0)
