"""Measure intake: bulk import through the whole pipeline, HTTP under gunicorn, SMTP; acceptance latency.

Run: .venv/bin/python bench/ingest.py [--only import,http,smtp] [--runs 3] [--import-count 5000] ...
Needs PostgreSQL (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/triage_bench; the
database must exist and is wiped) and Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/5; flushed).
Each run starts from an empty database; the figures are medians over the runs. The HTTP and SMTP
load comes from separate client processes (kept-alive connections), on the same 2-core host.
Messages are synthetic: 50 roles, 1,000 candidates with applications, a mix of intents, with
quoted history and signatures; 10% are forwards by a team member. The last line sums up.
"""

from __future__ import annotations

import argparse
import http.client
import mailbox
import multiprocessing
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
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text

from triage import config
from triage.accounts import users
from triage.db import Application, Candidate, Database, JobRole, Message, MessageState, migrate

TEXTS = [
    ("Any update?", "Hi,\n\nI wanted to follow up on my application. Is there any update?\n\nBest regards,\n{name}"),
    (
        "Thank you",
        "Dear team,\n\nThank you for taking the time to meet with me today. I enjoyed our conversation.\n\n"
        "Kind regards,\n{name}",
    ),
    (
        "Feedback",
        "Hello,\n\nI was sorry to hear I was not selected. Could you share any feedback on my interview?\n\n"
        "Thanks,\n{name}",
    ),
    ("References", "Hi,\n\nAs requested, please find my references attached.\n\nBest,\n{name}"),
    ("Interview time", "Hello,\n\nCould we move Thursday's interview to Friday morning?\n\nThanks,\n{name}"),
    ("Withdrawal", "Dear team,\n\nI have accepted another offer and would like to withdraw my application.\n\n{name}"),
]
QUOTE = (
    "\n\nOn Mon, 2 Nov 2026 at 10:00, Jobs <jobs@triage.localhost> wrote:\n"
    "> Thank you for applying.\n> We will be in touch.\n"
)


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
        body = (
            f"FYI\n\n---------- Forwarded message ---------\nFrom: {sender}\nDate: {format_datetime(when)}\n"
            f"Subject: {subject}\nTo: Rita <rita@example.com>\n\n{body}"
        )
        sender, subject = "Rita Recruiter <rita@example.com>", f"Fwd: {subject}"
    return (
        f"From: {sender}\r\nTo: jobs@triage.localhost\r\nSubject: {subject}\r\nDate: {format_datetime(when)}\r\n"
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
        now = datetime.now(UTC)
        s.add_all(
            Application(
                candidate_id=c.id,
                role_id=roles[i % 50].id,
                stage="interviewed",
                applied_at=now - timedelta(days=40),
                interview_at=now - timedelta(days=20),
            )
            for i, c in enumerate(candidates)
        )
        users.create_user(s, "rita@example.com", "Rita", "correct horse battery", "recruiter")
        admin = users.create_user(s, "bench-admin@example.com", "Admin", "correct horse battery", "admin")
        token = users.create_token(s, admin, "bench")
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


def bench_import(settings, database, raws: list[bytes], processes: int) -> float:
    from triage.intake import bulk
    from triage.processing import pipeline

    folder = Path(tempfile.mkdtemp(prefix="triage-bench-"))
    box = mailbox.mbox(folder / "bench.mbox")
    box.lock()
    for raw in raws:
        box.add(raw)
    box.flush()
    box.close()
    pipeline.load_model(settings)  # the model loads once per run; measured apart from the import
    started = time.perf_counter()
    summary = bulk.run(settings, [folder / "bench.mbox"], database=database, processes=processes)
    elapsed = time.perf_counter() - started
    with database.session() as s:
        left = s.scalar(select(func.count()).select_from(Message).where(Message.state == MessageState.received))
    print(
        f"import: {summary.new} new, {summary.duplicate} duplicate, {summary.failed} failed, {left} unprocessed "
        f"in {elapsed:.2f} s; lanes {summary.lanes}"
    )
    if summary.failed or left:
        raise SystemExit("import did not process everything")
    return summary.new / elapsed


def _client_process(kind: str, port: int, token: str, chunk: list[bytes], threads: int, ready, go, results) -> None:
    """One load-generating process: `threads` clients, each with one kept-alive connection."""
    latencies: list[float] = []
    lock = threading.Lock()
    failures: list[str] = []

    def http_client(items: list[bytes]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "message/rfc822"}
        mine = []
        for raw in items:
            started = time.perf_counter()
            conn.request("POST", "/api/v1/messages", body=raw, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 202:
                failures.append(f"HTTP {response.status}")
                return
            mine.append(time.perf_counter() - started)
        conn.close()
        with lock:
            latencies.extend(mine)

    def smtp_client(items: list[bytes]) -> None:
        client = smtplib.SMTP("127.0.0.1", port, timeout=30)
        mine = []
        for raw in items:
            started = time.perf_counter()
            client.sendmail("mta@example.net", ["jobs@triage.localhost"], raw)
            mine.append(time.perf_counter() - started)
        client.quit()
        with lock:
            latencies.extend(mine)

    work = http_client if kind == "http" else smtp_client
    pool = [threading.Thread(target=work, args=(chunk[i::threads],)) for i in range(threads)]
    ready.set()
    go.wait()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    results.put((time.perf_counter(), latencies, failures))


def run_clients(
    kind: str, port: int, token: str, items: list[bytes], processes: int, threads: int
) -> tuple[float, list[float]]:
    """Drive the server from separate processes (so the load generator is not the bottleneck)."""
    ctx = multiprocessing.get_context("fork")
    go, results = ctx.Event(), ctx.Queue()
    readies, procs = [], []
    for i in range(processes):
        ready = ctx.Event()
        proc = ctx.Process(
            target=_client_process, args=(kind, port, token, items[i::processes], threads, ready, go, results)
        )
        proc.start()
        readies.append(ready)
        procs.append(proc)
    for ready in readies:
        ready.wait()
    started = time.perf_counter()
    go.set()
    latencies: list[float] = []
    finished = started
    for _ in procs:
        end, mine, failures = results.get()
        if failures:
            raise SystemExit(f"{kind} client failed: {failures[0]}")
        finished = max(finished, end)
        latencies.extend(mine)
    for proc in procs:
        proc.join()
    return len(latencies) / (finished - started), latencies


def gunicorn_command(port: int, worker_class: str, threads: int) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--worker-class",
        worker_class,
    ]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]
    return command + ["triage.wsgi:app"]


def bench_http(env: dict, token: str, raws: list[bytes], args) -> tuple[float, float]:
    port = free_port()
    server = subprocess.Popen(gunicorn_command(port, args.worker_class, args.server_threads), env=env)
    try:
        wait_port(port, server)
        run_clients("http", port, token, raws[:40], 2, 4)  # warm up both workers
        rate, latencies = run_clients("http", port, token, raws[40:], args.client_processes, args.clients)
    finally:
        server.terminate()
        server.wait()
    return rate, percentile(latencies, 0.99) * 1000


def bench_smtp(env: dict, raws: list[bytes], args) -> tuple[float, float]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", "from triage.intake.cli import smtp_command; smtp_command()"],
        env={**env, "TRIAGE_SMTP_PORT": str(port)},
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port, server)
        rate, latencies = run_clients("smtp", port, "", raws, args.client_processes, args.connections)
    finally:
        server.terminate()
        server.wait()
    return rate, percentile(latencies, 0.99) * 1000


def one_run(args, env: dict, settings, run: int) -> dict:
    """One fresh database and one pass over the selected channels; returns the figures."""
    from redis import Redis

    Redis.from_url(env["REDIS_URL"]).flushdb()
    database = reset(settings.database_url)
    roles, token = seed(database)
    rng = random.Random(7 + run)
    now = datetime.now(UTC)
    counts = {
        "import": args.import_count if "import" in args.only else 0,
        "http": args.http_count + 40 if "http" in args.only else 0,
        "smtp": args.smtp_count if "smtp" in args.only else 0,
    }
    raws = [message(rng, i, roles, now) for i in range(sum(counts.values()))]
    out: dict = {"load": os.getloadavg()[0]}
    first = 0
    parts = {}
    for kind, n in counts.items():
        parts[kind], first = raws[first : first + n], first + n
    if counts["import"]:
        out["import"] = bench_import(settings, database, parts["import"], args.processes)
        print(f"  import: {out['import']:,.0f} msg/s through the whole pipeline")
    if counts["http"]:
        out["http"] = bench_http(env, token, parts["http"], args)
        print(f"  http: {out['http'][0]:,.0f} msg/s acknowledged, p99 {out['http'][1]:.1f} ms")
    if counts["smtp"]:
        out["smtp"] = bench_smtp(env, parts["smtp"], args)
        print(f"  smtp: {out['smtp'][0]:,.0f} msg/s acknowledged, p99 {out['smtp'][1]:.1f} ms")
    with database.session() as s:
        stored = s.scalar(select(func.count()).select_from(Message))
    expected = args.import_count * bool(counts["import"]) + counts["http"] + counts["smtp"]
    database.dispose()
    if stored != expected:
        raise SystemExit(f"{stored} rows stored, expected {expected}")
    out["load_end"] = os.getloadavg()[0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--import-count", type=int, default=5000)
    parser.add_argument("--http-count", type=int, default=2000)
    parser.add_argument("--smtp-count", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3, help="figures are the median of this many runs")
    parser.add_argument("--only", default="import,http,smtp", help="comma-separated: import, http, smtp")
    parser.add_argument("--processes", type=int, default=2, help="import: reading/classifying processes")
    parser.add_argument("--worker-class", default="gthread", choices=("sync", "gthread"))
    parser.add_argument("--server-threads", type=int, default=8, help="threads per gunicorn gthread worker")
    parser.add_argument("--clients", type=int, default=4, help="HTTP client threads per client process")
    parser.add_argument("--connections", type=int, default=2, help="SMTP connections per client process")
    parser.add_argument("--client-processes", type=int, default=2, help="load-generating processes")
    args = parser.parse_args()
    args.only = set(args.only.split(","))
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/triage_bench")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
    var = Path(tempfile.mkdtemp(prefix="triage-bench-var-"))
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "TRIAGE_VAR_DIR": str(var),
        "TRIAGE_SECRET_KEY": "bench-secret-key-0123456789-abcdefghij-klmnop",
    }
    settings = config.load(env)
    runs = []
    for run in range(args.runs):
        print(f"run {run + 1}/{args.runs} (load average {os.getloadavg()[0]:.2f})", flush=True)
        runs.append(one_run(args, env, settings, run))
    loads = ", ".join(f"{r['load']:.1f}-{r['load_end']:.1f}" for r in runs)
    parts = []
    if "import" in args.only:
        rate = statistics.median(r["import"] for r in runs)
        parts.append(
            f"import {rate:,.0f} msg/s (postgresql, {args.import_count:,} messages, whole pipeline, "
            f"{args.processes} processes, median of {args.runs})"
        )
    if "http" in args.only:
        rate = statistics.median(r["http"][0] for r in runs)
        p99 = statistics.median(r["http"][1] for r in runs)
        server = f"{args.worker_class} x{args.server_threads}" if args.worker_class == "gthread" else "sync"
        parts.append(
            f"http {rate:,.0f} msg/s p99 {p99:.0f} ms (gunicorn 2 workers {server}, {args.http_count:,} "
            f"messages, {args.client_processes}x{args.clients} keep-alive clients)"
        )
    if "smtp" in args.only:
        rate = statistics.median(r["smtp"][0] for r in runs)
        p99 = statistics.median(r["smtp"][1] for r in runs)
        parts.append(
            f"smtp {rate:,.0f} msg/s p99 {p99:.0f} ms ({args.smtp_count:,} messages, "
            f"{args.client_processes * args.connections} connections)"
        )
    print(f"ingest: {'; '.join(parts)}; {os.cpu_count()} cores, clients on the same host, load average per run {loads}")


if __name__ == "__main__":
    main()
