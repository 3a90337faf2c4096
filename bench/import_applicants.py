"""Measure importing applicants from an ATS export: 10,000 rows in one file, into one role.

Run: .venv/bin/python bench/import_applicants.py [--rows 10000] [--rounds 3] [--database-url URL]
Default database: a fresh SQLite file in a temporary directory; with --database-url (PostgreSQL),
that database's public schema is dropped and migrated afresh. Each round imports the same
Greenhouse-layout file into a new role (read, check every row, write, commit); a last round
re-imports it into the same role, which must change nothing. The figure is the median round.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select, text


def export(rows: int) -> bytes:
    """A Greenhouse-layout candidate export with realistic stages and dates."""
    stages = ["Application Review", "Preliminary Phone Screen", "Face to Face", "Reference Check", "Offer"]
    lines = [
        "Candidate ID,First Name,Last Name,Email Addresses,Job,Current Stage,Application Status,Applied At,"
        "Interview Date,Rejected On,Source"
    ]
    for i in range(rows):
        stage = stages[i % len(stages)]
        rejected = i % 7 == 0
        interview = f"2026-11-{1 + i % 28:02d} 10:00:00" if stage in ("Face to Face", "Reference Check") else ""
        lines.append(
            f"{40000000 + i},First{i},Last{i},candidate{i}@example.com,Data Analyst,{stage},"
            f"{'Rejected' if rejected else 'Active'},2026-10-{1 + i % 28:02d} 09:{i % 60:02d}:00,{interview},"
            f"{'2026-11-30 12:00:00' if rejected else ''},{['LinkedIn', 'Referral', 'Indeed'][i % 3]}"
        )
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    from triage.db import Application, Database, JobRole, migrate
    from triage.hiring import applicants

    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    database = Database(url)
    if url.startswith("postgresql"):
        with database.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(database)
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    data = export(args.rows)

    def one_round(reference: str) -> tuple[float, dict]:
        with database.session() as session:
            role = session.scalar(select(JobRole).where(JobRole.reference == reference))
            if role is None:
                role = JobRole(reference=reference, title="Data Analyst")
                session.add(role)
                session.commit()
            start, cpu = time.perf_counter(), time.process_time()
            plan = applicants.plan_csv(session, data, role)
            counts = applicants.apply(session, plan, None, source="bench")
            session.commit()
            cpus.append(time.process_time() - cpu)
            return time.perf_counter() - start, counts

    times: list[float] = []
    cpus: list[float] = []
    for i in range(args.rounds):
        seconds, counts = one_round(f"REQ-{i}")
        assert counts["new"] == args.rows, counts
        times.append(seconds)
        print(f"round {i + 1}: {args.rows:,} new applicants in {seconds:.2f} s", file=sys.stderr)
    again, counts = one_round("REQ-0")
    assert counts == {"new": 0, "update": 0, "unchanged": args.rows}, counts
    with database.session() as session:
        total = session.scalar(select(func.count()).select_from(Application))
    assert total == args.rows * args.rounds, total
    database.dispose()
    median = statistics.median(times)
    print(f"re-import of the same file: {again:.2f} s, nothing changed", file=sys.stderr)
    print(
        f"import applicants: {args.rows:,} rows in {median:.2f} s wall ({args.rows / median:,.0f} rows/s; "
        f"{statistics.median(cpus[: args.rounds]):.2f} s CPU in this process), {backend}, "
        f"Greenhouse CSV {len(data) / 2**20:.1f} MB, median of {args.rounds}"
    )


if __name__ == "__main__":
    main()
