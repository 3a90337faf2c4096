"""Measure intake: bulk import through the whole pipeline, HTTP under gunicorn, SMTP; acceptance latency.

Run: .venv/bin/python bench/ingest.py [--import-count 20000] [--http-count 3000] [--smtp-count 3000]
Needs PostgreSQL (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/triage_bench; the
database must exist and is wiped) and Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/3; flushed).
Messages are synthetic: 50 roles, 1,000 candidates with applications, a mix of intents, with
quoted history and signatures; 10% are forwards by a team member. The last line sums up.
"""
from __future__ import annotations

import argparse
import http.client
import mailbox
import os
import random
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

from triage import accounts, config, migrate  # noqa: E402
from triage.db import Application, Base, Candidate, Database, JobRole, Message, MessageState  # noqa: E402

TEXTS = [
    ("Any update?", "Hi,\n\nI wanted to follow up on my application. Is there any update?\n\nBest regards,\n{name}"),
    ("Thank you", "Dear team,\n\nThank you for taking the time to meet with me today. I enjoyed our conversation.\n\n"
                  "Kind regards,\n{name}"),
    ("Feedback", "Hello,\n\nI was sorry to hear I was not selected. Could you share any feedback on my interview?\n\n"
                 "Thanks,\n{name}"),
    ("References", "Hi,\n\nAs requested, please find my references attached.\n\nBest,\n{name}"),
    ("Interview time", "Hello,\n\nCould we move Thursday's interview to Friday morning?\n\nThanks,\n{name}"),
    ("Withdrawal", "Dear team,\n\nI have accepted another offer and would like to withdraw my application.\n\n{name}"),
]
QUOTE = "\n\nOn Mon, 2 Nov 2026 at 10:00, Jobs <jobs@triage.localhost> wrote:\n> Thank you for applying.\n> We will be in touch.\n"


def message(rng: random.Random, i: int, roles: list[JobRole], now: datetime) -> bytes:
    c = rng.randrange(1000)
    name = f"Candidate {c}"
    subject, body = rng.choice(TEXTS)
    role = roles[c % len(roles)]
    if rng.random() < 0.3:
        subject = f"{subject} - {role.reference}"
    body = body.format(name=name) + (QUOTE if rng.random() < 0.5 else "")
    sender = f"{name} <cand{c}@example.org>"
    when = now - timedelta(minutes=20000 - i)
    if rng.random() < 0.1:  # a recruiter forwards it
        body = (f"FYI\n\n---------- Forwarded message ---------\nFrom: {sender}\nDate: {format_datetime(when)}\n"
                f"Subject: {subject}\nTo: Rita <rita@example.com>\n\n{body}")
        sender, subject = "Rita Recruiter <rita@example.com>", f"Fwd: {subject}"
    return (f"From: {sender}\r\nTo: jobs@triage.localhost\r\nSubject: {subject}\r\nDate: {format_datetime(when)}\r\n"
            f"Message-ID: <bench-{i}-{rng.random()}@example.org>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}".replace("\n", "\r\n").replace("\r\r\n", "\r\n")
            ).encode()


def reset(url: str) -> Database:
    database = Database(url)
    with database.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(database)
    return database


def seed(database: Database) -> tuple[list[JobRole], str]:
    with database.session() as s:
        roles = [JobRole(reference=f"REQ-{1000 + r}", title=f"Role Number {r}") for r in range(50)]
        s.add_all(roles)
        s.flush()
        candidates = [Candidate(email=f"cand{c}@example.org", name=f"Candidate {c}") for c in range(1000)]
        s.add_all(candidates)
        s.flush()
        now = datetime.now(timezone.utc)
        s.add_all(Application(candidate_id=c.id, role_id=roles[i % 50].id, stage="interviewed",
                              applied_at=now - timedelta(days=40), interview_at=now - timedelta(days=20))
                  for i, c in enumerate(candidates))
        accounts.create_user(s, "rita@example.com", "Rita", "correct horse battery", "recruiter")
        admin = accounts.create_user(s, "bench-admin@example.com", "Admin", "correct horse battery", "admin")
        token = accounts.create_token(s, admin, "bench")
        s.commit()
        return roles, token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 1000) - 1] if len(values) > 10 else max(values)


def bench_import(settings, database, raws: list[bytes]) -> float:
    from triage import pipeline
    from triage.intake import bulk
    folder = Path(tempfile.mkdtemp(prefix="triage-bench-"))
    box = mailbox.mbox(folder / "bench.mbox")
    box.lock()
    for raw in raws:
        box.add(raw)
    box.flush()
    box.close()
    pipeline.load_model(settings)  # the model loads once per run; measured apart from the import
    started = time.perf_counter()
    summary = bulk.run(settings, [folder / "bench.mbox"], database=database)
    elapsed = time.perf_counter() - started
    with database.session() as s:
        left = s.scalar(select(func.count()).select_from(Message).where(Message.state == MessageState.received))
    print(f"import: {summary.new} new, {summary.duplicate} duplicate, {summary.failed} failed, {left} unprocessed "
          f"in {elapsed:.2f} s; lanes {summary.lanes}")
    if summary.failed or left:
        raise SystemExit("import did not process everything")
    return summary.new / elapsed


def run_clients(threads: int, work, items: list) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    chunks = [items[i::threads] for i in range(threads)]

    def client(chunk):
        mine = work(chunk)
        with lock:
            latencies.extend(mine)
    started = time.perf_counter()
    pool = [threading.Thread(target=client, args=(c,)) for c in chunks]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return len(items) / (time.perf_counter() - started), latencies


def bench_http(env: dict, token: str, raws: list[bytes], threads: int) -> tuple[float, float]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
                               "--log-level", "warning", "triage.wsgi:app"], env=env)
    try:
        wait_port(port, server)

        def work(chunk):
            out = []
            for raw in chunk:
                started = time.perf_counter()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("POST", "/api/v1/messages", body=raw,
                             headers={"Authorization": f"Bearer {token}", "Content-Type": "message/rfc822"})
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status != 202:
                    raise SystemExit(f"HTTP {response.status}")
                out.append(time.perf_counter() - started)
            return out
        work(raws[:20])  # warm up both workers
        rate, latencies = run_clients(threads, work, raws[20:])
    finally:
        server.terminate()
        server.wait()
    return rate, percentile(latencies, 0.99) * 1000


def bench_smtp(env: dict, raws: list[bytes], threads: int) -> tuple[float, float]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", "from triage.intake.cli import smtp_command; smtp_command()"],
                              env={**env, "TRIAGE_SMTP_PORT": str(port)}, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, server)

        def work(chunk):
            out = []
            client = smtplib.SMTP("127.0.0.1", port, timeout=30)
            for raw in chunk:
                started = time.perf_counter()
                client.sendmail("mta@example.net", ["jobs@triage.localhost"], raw)
                out.append(time.perf_counter() - started)
            client.quit()
            return out
        rate, latencies = run_clients(threads, work, raws)
    finally:
        server.terminate()
        server.wait()
    return rate, percentile(latencies, 0.99) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--import-count", type=int, default=20000)
    parser.add_argument("--http-count", type=int, default=3000)
    parser.add_argument("--smtp-count", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=8, help="concurrent HTTP/SMTP clients")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/triage_bench")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
    var = Path(tempfile.mkdtemp(prefix="triage-bench-var-"))
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "TRIAGE_VAR_DIR": str(var),
           "TRIAGE_SECRET_KEY": "bench-secret-key-0123456789"}
    settings = config.load(env)
    from redis import Redis
    Redis.from_url(redis_url).flushdb()
    database = reset(settings.database_url)
    roles, token = seed(database)
    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    total = args.import_count + args.http_count + 20 + args.smtp_count
    raws = [message(rng, i, roles, now) for i in range(total)]
    import_raws, rest = raws[:args.import_count], raws[args.import_count:]
    http_raws, smtp_raws = rest[:args.http_count + 20], rest[args.http_count + 20:]

    import_rate = bench_import(settings, database, import_raws)
    print(f"import: {import_rate:,.0f} msg/s through the whole pipeline")
    http_rate, http_p99 = bench_http(env, token, http_raws, args.threads)
    print(f"http: {http_rate:,.0f} msg/s acknowledged, p99 {http_p99:.1f} ms")
    smtp_rate, smtp_p99 = bench_smtp(env, smtp_raws, args.threads)
    print(f"smtp: {smtp_rate:,.0f} msg/s acknowledged, p99 {smtp_p99:.1f} ms")
    with database.session() as s:
        stored = s.scalar(select(func.count()).select_from(Message))
    database.dispose()
    print(f"ingest: import {import_rate:,.0f} msg/s ({args.import_count:,} msgs, whole pipeline, PostgreSQL, "
          f"{os.cpu_count()} cores); HTTP {http_rate:,.0f} msg/s p99 {http_p99:.0f} ms (gunicorn 2 sync workers, "
          f"{args.threads} clients on the same host); SMTP {smtp_rate:,.0f} msg/s p99 {smtp_p99:.0f} ms "
          f"({args.threads} connections); {stored:,} rows stored; load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
