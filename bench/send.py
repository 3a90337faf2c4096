"""Measure outbound delivery: batched status updates through real RQ workers to a local SMTP sink.

Run: .venv/bin/python bench/send.py [--small 1000] [--large 10000] [--chaos 10000] [--workers 2]
Needs PostgreSQL (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/triage_send; the
database must exist and is wiped; a sqlite:/// URL works too) and Redis (BENCH_REDIS_URL, default
redis://127.0.0.1:6379/3; flushed). The sink is aiosmtpd in this process.

1. `small` personalized status updates across 10 roles, from "send" (rows rendered and written)
   to the last one accepted by the sink, against a plain smtplib loop sending the same messages,
   pre-rendered, over one connection (both in this run).
2. `large` status updates with `workers` workers, from "send" to the last one accepted.
3. Chaos: `chaos` recipients while one worker is SIGKILLed (with its work horse) every few
   seconds and restarted; a sweeper pass runs every 2 s. Counts lost messages and duplicates at
   the sink (target: none of either). For this part the sink keeps what it accepts in a Maildir,
   as `triage sink` does, so a worker can ask it whether a message a killed worker handed over
   was accepted. With --opaque-relay it keeps none, like a real relay: such a message is then
   failed as "may have been sent" (counted as in doubt, with how many of them the sink had).
The last line sums up.
"""

from __future__ import annotations

import argparse
import mailbox
import os
import random
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil
from sqlalchemy import func, insert, select, text

from triage import config
from triage.db import Application, Candidate, Database, JobRole, Outbound, OutboxState, migrate
from triage.outbound import batches, delivery, dispatch, mime, templates
from triage.outbound.sink import Sink
from triage.runtime import queues

FIRST = ["Ada", "Grace", "Zoë", "José", "Łukasz", "Amara", "Chen", "Olu", "Sofía", "Noor", "Ian", "Mia"]
LAST = ["Lovelace", "Hopper", "O'Neil", "Núñez", "Kowalski", "Okafor", "Wei", "Adeyemi", "García", "Haddad"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wipe(url: str) -> Database:
    database = Database(url)
    if database.is_sqlite:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        database = Database(url)
    else:
        with database.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(database)
    return database


def seed(database: Database, prefix: str, roles: int, per_role: int) -> list[int]:
    """`roles` roles with `per_role` interviewed candidates each; returns the role ids."""
    rng = random.Random(prefix)
    with database.session() as session:
        role_rows = session.execute(
            insert(JobRole).returning(JobRole.id, sort_by_parameter_order=True),
            [{"reference": f"{prefix}-{r}", "title": f"Role {prefix} {r}", "is_open": True} for r in range(roles)],
        )
        role_ids = list(role_rows.scalars())
        people = [
            {"email": f"{prefix.lower()}{r}x{i}@example.org", "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}"}
            for r in range(roles)
            for i in range(per_role)
        ]
        candidate_ids = []
        for start in range(0, len(people), 2000):
            candidate_ids += list(
                session.execute(
                    insert(Candidate).returning(Candidate.id, sort_by_parameter_order=True),
                    people[start : start + 2000],
                ).scalars()
            )
        apps = [
            {"candidate_id": cid, "role_id": role_ids[n // per_role], "stage": "interviewed"}
            for n, cid in enumerate(candidate_ids)
        ]
        for start in range(0, len(apps), 2000):
            session.execute(insert(Application), apps[start : start + 2000])
        templates.ensure_default_templates(session)
        session.commit()
    return role_ids


class Workers:
    """`triage worker` subprocesses, each in its own process group (so a kill takes the horse too)."""

    def __init__(self, env: dict) -> None:
        self.env = env
        self.processes: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        log = open(os.environ["BENCH_WORKER_LOG"], "ab") if os.environ.get("BENCH_WORKER_LOG") else subprocess.DEVNULL
        process = subprocess.Popen(
            [sys.executable, "-m", "triage.cli", "worker"], env=self.env, start_new_session=True, stdout=log, stderr=log
        )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the worker and its work horse (which RQ puts in its own process group)."""
        children = [child.pid for child in psutil.Process(process.pid).children(recursive=True)]
        for pid in [*children, process.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait()
        self.processes.remove(process)

    def stop(self) -> None:
        for process in list(self.processes):
            self.kill(process)


def wait_for_workers(redis, n: int, timeout: float = 300) -> None:
    from rq import Worker

    deadline = time.monotonic() + timeout
    while len(Worker.all(connection=redis)) < n:
        if time.monotonic() > deadline:
            raise SystemExit(f"{n} workers did not start in {timeout:.0f} s")
        time.sleep(0.2)


def start_batch(database: Database, settings, redis, role_ids: list[int]) -> list[int]:
    with database.session() as session:
        template = templates.default_template(session, templates.TemplateKind.status_update)
        batch = batches.create(
            session,
            role_ids=role_ids,
            stages=["interviewed"],
            template_id=template.id,
            next_update_on=date.today() + timedelta(days=7),
            user_id=None,
        )
        session.commit()
        return dispatch.send_batch_now(session, settings, redis, batch.id).outbound_ids


def wait_for_sink(sink: Sink, n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(sink.messages) < n:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(sink.messages)}/{n} messages reached the sink in {timeout:.0f} s")
        time.sleep(0.01)


def plain_loop(database: Database, ids: list[int], port: int) -> float:
    """The same messages, rendered beforehand, sent with smtplib over one connection."""
    with database.session() as session:
        rows = list(session.scalars(select(Outbound).where(Outbound.id.in_(ids)).order_by(Outbound.id)))
        prepared = [(r.from_address, r.to_address, mime.to_bytes(mime.from_row(r))) for r in rows]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for sender, recipient, data in prepared:
            smtp.sendmail(sender, [recipient], data)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10000)
    parser.add_argument("--chaos", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kill-every", type=float, default=3.0)
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument(
        "--no-pipelining",
        action="store_true",
        help="the sink does not offer PIPELINING (our relay then sends MAIL/RCPT/DATA one by one)",
    )
    parser.add_argument(
        "--opaque-relay",
        action="store_true",
        help="in the chaos part the sink keeps no Maildir, so it cannot be asked what it accepted (a real relay)",
    )
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/triage_send")
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
    var = Path(tempfile.mkdtemp(prefix="bench-send-"))
    sink = Sink("127.0.0.1", free_port()).start()
    sink.handler.pipelining = not args.no_pipelining
    env = dict(
        os.environ,
        DATABASE_URL=url,
        REDIS_URL=redis_url,
        SMTP_URL=f"smtp://127.0.0.1:{sink.port}",
        TRIAGE_SINK_PORT=str(sink.port),  # the relay is the local sink (its Maildir is under var/sink)
        TRIAGE_VAR_DIR=str(var),
        TRIAGE_SECRET_KEY="bench-secret-key-0123456789-abcdefghij-klmnop",
        TRIAGE_FROM_ADDRESS="jobs@acme.example",
    )
    settings = config.load(env)
    database = wipe(settings.database_url)
    redis = queues.connect(settings)
    redis.flushdb()
    backend = "PostgreSQL" if not database.is_sqlite else "SQLite"
    workers = Workers(env)
    results = {}
    try:
        small_roles = seed(database, "S", 10, args.small // 10)
        large_roles = seed(database, "L", 10, args.large // 10)
        chaos_roles = seed(database, "C", 10, args.chaos // 10)
        for _ in range(args.workers):
            workers.start()
        wait_for_workers(redis, args.workers)

        # 1. small batch vs a plain smtplib loop
        started = time.perf_counter()
        ids = start_batch(database, settings, redis, small_roles)
        wait_for_sink(sink, len(ids), 300)
        ours = time.perf_counter() - started
        sink.handler.messages.clear()
        plain = plain_loop(database, ids, sink.port)
        sink.handler.messages.clear()
        results["small"] = (len(ids), ours, plain)
        print(
            f"{len(ids)} status updates across 10 roles: {ours:.2f} s through {args.workers} workers; "
            f"plain smtplib loop {plain:.2f} s; ratio {ours / plain:.2f}",
            flush=True,
        )

        # 2. large batch
        started = time.perf_counter()
        ids = start_batch(database, settings, redis, large_roles)
        wait_for_sink(sink, len(ids), 600)
        large = time.perf_counter() - started
        results["large"] = (len(ids), large)
        print(
            f"{len(ids)} status updates: {large:.2f} s with {args.workers} workers ({len(ids) / large:.0f}/s)",
            flush=True,
        )
        sink.handler.messages.clear()

        # 3. chaos
        if not args.opaque_relay:
            sink.handler.maildir = mailbox.Maildir(var / "sink", create=True)
        ids = start_batch(database, settings, redis, chaos_roles)
        started = time.perf_counter()
        kills, last_kill, last_sweep = 0, time.monotonic(), 0.0
        rng = random.Random(7)
        while True:
            now = time.monotonic()
            with database.engine.connect() as conn:
                pending = conn.execute(
                    select(func.count())
                    .select_from(Outbound)
                    .where(
                        Outbound.id.between(ids[0], ids[-1]),
                        Outbound.state.in_((OutboxState.queued, OutboxState.sending)),
                    )
                ).scalar()
            if pending == 0:
                break
            if kills < args.kills and now - last_kill >= args.kill_every and len(sink.messages) > 0:
                workers.kill(rng.choice(workers.processes))
                workers.start()
                kills += 1
                last_kill = now
            if now - last_sweep >= 2:
                dispatch.sweep(database, redis, settings)
                last_sweep = now
            if time.perf_counter() - started > 900:
                raise SystemExit("chaos run did not finish in 15 minutes")
            time.sleep(0.2)
        chaos_time = time.perf_counter() - started
        with database.session() as session:
            in_run = Outbound.id.between(ids[0], ids[-1])
            wanted = set(session.scalars(select(Outbound.message_id).where(in_run)))
            failed = session.scalar(
                select(func.count()).select_from(Outbound).where(in_run, Outbound.state == OutboxState.failed)
            )
            in_doubt = set(
                session.scalars(
                    select(Outbound.message_id).where(
                        in_run, Outbound.state == OutboxState.failed, Outbound.last_error.startswith("may have been")
                    )
                )
            )
        got = sink.handler.message_ids()
        got_chaos = [m for m in got if m in wanted]
        lost = len(wanted - set(got_chaos) - in_doubt)  # a row in doubt is a person's to decide, not lost
        duplicates = len(got_chaos) - len(set(got_chaos))
        doubt = (len(in_doubt), len(in_doubt & set(got_chaos)))
        results["chaos"] = (len(ids), kills, lost, duplicates, failed, doubt, chaos_time)
        print(
            f"chaos: {len(ids)} recipients, {kills} SIGKILLs every {args.kill_every:.0f} s, "
            f"{lost} lost, {duplicates} duplicates, {failed} failed ({doubt[0]} in doubt, {doubt[1]} of them "
            f"at the sink), {chaos_time:.1f} s",
            flush=True,
        )
    finally:
        workers.stop()
        sink.stop()
    n, ours, plain = results["small"]
    ln, large = results["large"]
    cn, kills, lost, duplicates, failed, doubt, chaos_time = results["chaos"]
    print(
        f"send bench ({backend}, Redis {redis_url}, aiosmtpd sink in-process, {args.workers} `triage worker`s, "
        f"jobs of {batches.PART} rows, {delivery.chunk_size(settings)} per SMTP connection, "
        f"sink {'without' if args.no_pipelining else 'with'} PIPELINING, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}): "
        f"{n} personalized updates "
        f"{ours:.2f} s vs plain smtplib {plain:.2f} s = {ours / plain:.2f}x (limit 2x); {ln} in {large:.2f} s "
        f"(limit 20 s); chaos {cn} recipients, {kills} kills, relay "
        f"{'that cannot be asked' if args.opaque_relay else 'asked (sink Maildir)'}: {lost} lost, "
        f"{duplicates} duplicates (target 0), {failed} failed ({doubt[0]} may have been sent, {doubt[1]} were), "
        f"{chaos_time:.0f} s"
    )


if __name__ == "__main__":
    main()
