"""Measure the daily retention run on 100,000 stored messages, and intake's latency while it runs.

Run: .venv/bin/python bench/retention.py [--messages 100000] [--database-url URL]
Default database: a fresh SQLite file in a temporary folder (the one-machine setup); with
--database-url (PostgreSQL) the database must exist and is wiped. The data: 2,000 candidates with
50 messages each (about 1 KB of raw mail apiece) and one reply each, on 50 roles in two teams; 40%
of the candidates were rejected 8 months ago (due: erased whole), 10% were hired 26 months ago (due:
their mail), the rest are active. While the run works, a separate process stores one new message
every 20 ms through intake (accept_many, as HTTP and SMTP do) and records how long each took: the
run must never hold a lock that stalls intake for more than a second. The last line sums up.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text

from triage import config
from triage.db import Application, Base, Candidate, Channel, Database, JobRole, Message, Outbound, Team, migrate
from triage.intake.accept import Delivery, accept_many
from triage.privacy import retention

PER_CANDIDATE = 50


def build(database: Database, messages: int, now: datetime) -> dict:
    """Insert the candidates, applications, messages and replies in bulk; return the plan's counts."""
    candidates = max(1, messages // PER_CANDIDATE)
    with database.session() as s:
        s.add_all([Team(name="Agency", policy={"retention_closed_months": 6}), Team(name="In-house", policy={})])
        s.flush()
        s.execute(
            insert(JobRole),
            [{"reference": f"REQ-{i}", "title": f"Role {i}", "team_id": 1 + i % 2} for i in range(50)],
        )
        s.execute(
            insert(Candidate), [{"email": f"cand{c}@example.org", "name": f"Candidate {c}"} for c in range(candidates)]
        )
        ids = dict(s.execute(select(Candidate.email, Candidate.id)).all())
        roles = list(s.scalars(select(JobRole.id).order_by(JobRole.id)))
        apps = []
        for c in range(candidates):
            kind = c % 10
            stage, age = ("rejected", 240) if kind < 4 else ("hired", 26 * 31) if kind == 4 else ("interviewing", 10)
            then = now - timedelta(days=age)
            apps.append(
                {
                    "candidate_id": ids[f"cand{c}@example.org"],
                    "role_id": roles[c % len(roles)],
                    "stage": stage,
                    "applied_at": then - timedelta(days=30),
                    "stage_changed_at": then,
                }
            )
        s.execute(insert(Application), apps)
        app_ids = dict(s.execute(select(Application.candidate_id, Application.id)).all())
        s.commit()
        rows, replies = [], []
        body = "Hello,\n\nI wanted to follow up on my application. Is there any update?\n\n" + "x" * 700
        for c in range(candidates):
            app = apps[c]
            cid = app["candidate_id"]
            then = app["stage_changed_at"]
            for m in range(PER_CANDIDATE):
                raw = f"From: Candidate {c} <cand{c}@example.org>\r\nSubject: Update {m}\r\n\r\n{body}\r\n".encode()
                key = hashlib.sha256(f"{c}-{m}".encode()).hexdigest()
                rows.append(
                    {
                        "raw": raw,
                        "size": len(raw),
                        "content_hash": key,
                        "dedupe_key": key,
                        "channel": Channel.http,
                        "received_at": then - timedelta(hours=m),
                        "state": "archived",
                        "lane": "fyi",
                        "intent": "status_check",
                        "candidate_id": cid,
                        "application_id": app_ids[cid],
                        "role_id": app["role_id"],
                        "from_address": f"cand{c}@example.org",
                        "original_from_address": f"cand{c}@example.org",
                        "from_name": f"Candidate {c}",
                        "subject": f"Update {m}",
                        "body_text": body,
                        "reply_text": body,
                    }
                )
            replies.append(
                {
                    "message_id": f"<r{c}@acme.example>",
                    "kind": "reply",
                    "candidate_id": cid,
                    "application_id": app_ids[cid],
                    "role_id": app["role_id"],
                    "from_address": "jobs@acme.example",
                    "to_address": f"cand{c}@example.org",
                    "subject": "Re: Update",
                    "body_text": "Thanks, we will be in touch.",
                    "state": "sent",
                    "created_at": then,
                }
            )
            if len(rows) >= 5000:
                s.execute(insert(Message), rows)
                s.commit()
                rows = []
        if rows:
            s.execute(insert(Message), rows)
        s.execute(insert(Outbound), replies)
        s.commit()
        return {"candidates": candidates, "messages": s.scalar(select(func.count()).select_from(Message))}


def probe(url: str, stop, results) -> None:
    """Store one message every 20 ms through intake; record when each started and how long it took."""
    database = Database(url)
    samples = []
    n = 0
    while not stop.is_set():
        n += 1
        raw = f"From: probe{n}@example.org\r\nSubject: probe\r\nMessage-ID: <p{n}.{os.getpid()}@x>\r\n\r\nhi\r\n"
        started = time.time()
        accept_many(database, [Delivery(raw.encode(), Channel.http)], None)
        samples.append((started, time.time() - started))
        time.sleep(0.02)
    results.put(samples)


def _stats(latencies: list[float]) -> tuple[float, float]:
    worst = max(latencies)
    return worst, (statistics.quantiles(latencies, n=100)[98] if len(latencies) >= 100 else worst)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="triage-retention-"))
    url = args.database_url or f"sqlite:///{folder / 'triage.db'}"
    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    database = Database(url)
    if not database.is_sqlite:
        with database.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(database)
    assert Base.metadata.tables  # the tables are the ones the migrations made
    settings = config.load({"TRIAGE_VAR_DIR": str(folder / "var"), "DATABASE_URL": url, "TRIAGE_SECRET_KEY": "b" * 40})
    now = datetime.now(UTC)
    started = time.perf_counter()
    plan = build(database, args.messages, now)
    print(
        f"built {plan['messages']:,} messages for {plan['candidates']:,} candidates "
        f"in {time.perf_counter() - started:.1f} s"
    )
    with database.session() as s:
        due = retention.due(s, now)
    print(
        f"due: {sum(1 for d in due if d.scope == 'person'):,} candidates, "
        f"{sum(1 for d in due if d.scope == 'mail'):,} hired"
    )

    stop, results = multiprocessing.Event(), multiprocessing.Queue()
    prober = multiprocessing.Process(target=probe, args=(url, stop, results))
    prober.start()
    time.sleep(1.0)  # the probe's first accepts (connections, imports) are not the run's doing
    idle_from = time.time()
    time.sleep(5.0)  # intake alone, for comparison
    run_from = time.time()
    load_from = os.getloadavg()[0]
    started = time.perf_counter()
    counts = retention.run(database, settings, now)
    elapsed = time.perf_counter() - started
    run_to = time.time()
    stop.set()
    samples = results.get(timeout=60)
    prober.join(timeout=30)
    idle = [lat for at, lat in samples if idle_from <= at < run_from]
    during = [lat for at, lat in samples if run_from <= at < run_to]
    worst, p99 = _stats(during)
    idle_worst, idle_p99 = _stats(idle)
    backend = "sqlite" if database.is_sqlite else "postgresql"
    print(f"run: {counts}")
    print(
        f"retention: {plan['messages']:,} messages ({counts['messages']:,} erased, {counts['candidates_erased']:,} "
        f"candidates + {counts['hired_mail_erased']:,} hired candidates' mail) in {elapsed:.1f} s (limit 60 s); "
        f"intake during the run: max {worst * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms over {len(during)} accepts "
        f"(limit 1,000 ms; intake alone before it: max {idle_worst * 1000:.0f} ms, p99 {idle_p99 * 1000:.0f} ms); "
        f"{backend}, {os.cpu_count()} cores shared (load average {load_from:.0f} before, "
        f"{os.getloadavg()[0]:.0f} after), one run"
    )


if __name__ == "__main__":
    main()
