"""Inbox speed: server time of the inbox list (50 rows), a message view and a search at agency scale.

    python bench/inbox.py [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/triage_inbox]
                          [--messages 100000] [--roles 50] [--requests 300] [--runs 3] [--skip-build]
                          [--only list|message|search]

WIPES the given database (drops the public schema), migrates it, bulk-inserts the data with
executemany, then sends requests through the Flask test client and times each one inside the
WSGI app (routing, session and login, queries, template rendering, after-request hooks; not the
test client's own work, no network). Each run reports p50/p95 per kind of request; the summary is
the median over the runs of each p95. The machine's load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, make_url, text

from triage import config, create_app
from triage.accounts import users as accounts
from triage.db import Application, Candidate, Database, JobRole, Message, Team, migrate

LANES = ("today", "feedback", "held", "fyi", "review")
INTENTS = {
    "today": "info_response",
    "feedback": "feedback_request",
    "held": "status_check",
    "fyi": "thank_you",
    "review": "other",
}
BODY = (
    "Hello,\n\nThank you for the interview last week. I wanted to ask whether there is any news "
    "about the role, and whether you need anything else from me.\n\nBest regards\n"
)


def build(url: str, n_messages: int, n_roles: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    database = Database(url)
    with database.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(database)
    now = datetime.now(UTC)
    per_role = 100
    with database.engine.begin() as conn:
        conn.execute(insert(Team), [{"name": "Agency", "policy": {}}])
        conn.execute(
            insert(JobRole),
            [
                {"reference": f"REQ-{1000 + r}", "title": f"Role {r}", "team_id": 1, "is_open": True, "created_at": now}
                for r in range(n_roles)
            ],
        )
        conn.execute(
            insert(Candidate),
            [
                {"email": f"c{i}@example.org", "name": f"Candidate {i}", "created_at": now}
                for i in range(n_roles * per_role)
            ],
        )
        stages = ("applied", "screening", "interviewing", "interviewed", "offer", "rejected")
        conn.execute(
            insert(Application),
            [
                {
                    "candidate_id": i + 1,
                    "role_id": i // per_role + 1,
                    "stage": rng.choice(stages),
                    "applied_at": now - timedelta(days=60),
                    "stage_changed_at": now - timedelta(days=10),
                    "last_update_asked": False,
                    "details": {},
                }
                for i in range(n_roles * per_role)
            ],
        )
        rows = []
        for i in range(n_messages):
            app_index = rng.randrange(n_roles * per_role)
            lane = rng.choices(LANES, weights=(10, 10, 40, 30, 10))[0]
            # Most stored mail has been dealt with; about one in seven is still open.
            open_ = rng.random() < 0.15
            state = (
                ("held" if lane == "held" else "triaged") if open_ else rng.choice(("archived", "replied", "answered"))
            )
            received = now - timedelta(minutes=rng.randrange(60 * 24 * 56))
            raw = (f"From: c{app_index}@example.org\r\nSubject: Any update? {i}\r\n\r\n{BODY}").encode()
            rows.append(
                {
                    "raw": raw,
                    "size": len(raw),
                    "message_id": f"<{i}@example.org>",
                    "content_hash": hashlib.sha256(raw).hexdigest(),
                    "dedupe_key": f"k{i}",
                    "direction": "inbound",
                    "channel": "smtp",
                    "received_at": received,
                    "state": state,
                    "subject": f"Any update? {i}",
                    "body_text": BODY,
                    "reply_text": BODY.split("\n\nBest")[0],
                    "has_html": False,
                    "references": [],
                    "auto_reply": False,
                    "attachments": [],
                    "defects": [],
                    "from_address": f"c{app_index}@example.org",
                    "from_name": f"Candidate {app_index}",
                    "candidate_id": app_index + 1,
                    "application_id": app_index + 1,
                    "role_id": app_index // per_role + 1,
                    "intent": INTENTS[lane],
                    "confidence": 0.8,
                    "lane": lane,
                    "is_chaser": lane == "held",
                    "reasons": ["2nd follow-up in 9 days; last update sent 2 days ago"],
                    "due_at": received + timedelta(hours=24) if lane == "today" else None,
                }
            )
            if len(rows) == 5000:
                conn.execute(insert(Message), rows)
                rows = []
        if rows:
            conn.execute(insert(Message), rows)
    with database.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    database.dispose()


# Until the migration creates the full-text indexes, the bench makes them itself (same expressions).
def ensure_search_indexes(url: str) -> None:
    from triage.web.inbox.search import CANDIDATE_DOCUMENT, MESSAGE_DOCUMENT

    database = Database(url)
    with database.engine.begin() as conn:
        for name, table, document in (
            ("ix_messages_search", "messages", MESSAGE_DOCUMENT),
            ("ix_candidates_search", "candidates", CANDIDATE_DOCUMENT),
        ):
            conn.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({document.format(t='')})"))
    with database.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE messages"))
    database.dispose()


class ServerClock:
    """WSGI middleware: how long the app took to produce the whole response body."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app
        self.last_ms = 0.0

    def __call__(self, environ, start_response):
        start = time.perf_counter()
        result = self.wsgi_app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        self.last_ms = (time.perf_counter() - start) * 1000
        return [body]


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def measure(url: str, n_requests: int, n_roles: int, seed: int = 11, only: str | None = None) -> dict[str, list[float]]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as var:
        settings = config.load(
            {
                "TRIAGE_VAR_DIR": var,
                "DATABASE_URL": url,
                "TRIAGE_SECRET_KEY": "bench-secret-key-0123456789-abcdefghij-klmnop",
            }
        )
        app = create_app(settings)
        database = app.extensions["triage.database"]
        with database.session() as session:
            session.execute(text("DELETE FROM users WHERE email = 'bench@example.com'"))
            accounts.create_user(session, "bench@example.com", "Bench", "bench password 1", "recruiter")
            session.commit()
            message_ids = [mid for (mid,) in session.execute(text("SELECT id FROM messages"))]
        clock = ServerClock(app.wsgi_app)
        app.wsgi_app = clock
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post("/login", data={"email": "bench@example.com", "password": "bench password 1", "csrf_token": token})
        paths = {
            "list": lambda: rng.choice(
                [f"/?lane={lane}" for lane in LANES] + [f"/?lane={rng.choice(LANES)}&role={rng.randint(1, n_roles)}"]
            ),
            "message": lambda: f"/messages/{rng.choice(message_ids)}",
            # A candidate's name, an address, a subject with its number, a rare word, a word in every body.
            "search": lambda: (
                "/?q="
                + rng.choice(
                    [
                        f"Candidate+{rng.randrange(n_roles * 100)}",
                        f"c{rng.randrange(n_roles * 100)}@example.org",
                        f"update+{rng.randrange(len(message_ids))}",
                        "referees",
                        "interview",
                    ]
                )
            ),
        }
        if only:
            paths = {only: paths[only]}
        results: dict[str, list[float]] = {name: [] for name in paths}
        for name, path in paths.items():
            for _ in range(10):  # warm the pool and Jinja's template cache
                client.get(path())
            for _ in range(n_requests):
                target = path()
                response = client.get(target)
                assert response.status_code == 200, (target, response.status_code)
                results[name].append(clock.last_ms)
        database.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/triage_inbox")
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--roles", type=int, default=50)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-build", action="store_true", help="reuse the data from a previous run")
    parser.add_argument("--only", choices=("list", "message", "search"), help="time one kind of request only")
    args = parser.parse_args()
    if not args.skip_build:
        start = time.perf_counter()
        build(args.database_url, args.messages, args.roles)
        print(f"built {args.messages} messages across {args.roles} roles in {time.perf_counter() - start:.0f} s")
    ensure_search_indexes(args.database_url)
    p95s: dict[str, list[float]] = {}
    for run in range(1, args.runs + 1):
        results = measure(args.database_url, args.requests, args.roles, seed=10 + run, only=args.only)
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        for name, samples in results.items():
            p95s.setdefault(name, []).append(p95(samples))
            print(
                f"run {run} {name:8s} n={len(samples)} p50={statistics.median(samples):.1f} ms "
                f"p95={p95(samples):.1f} ms max={max(samples):.1f} ms"
            )
        print(f"run {run} load average {load} ({os.cpu_count()} CPUs)")
    if args.only:
        print(f"inbox: {args.only} p95 {statistics.median(p95s[args.only]):.0f} ms, median of {args.runs}")
        return
    lst, msg, found = (statistics.median(p95s[k]) for k in ("list", "message", "search"))
    print(
        f"targets: list p95 <= 50 ms {'OK' if lst <= 50 else 'OVER'}; "
        f"view p95 <= 80 ms {'OK' if msg <= 80 else 'OVER'}; "
        f"search p95 {found:.0f} ms (no target)"
    )
    print(
        f"inbox: list p95 {lst:.0f} ms, view p95 {msg:.0f} ms, {make_url(args.database_url).get_backend_name()}, "
        f"{args.messages:,} messages / {args.roles} roles, {args.requests} requests each, median of {args.runs}"
    )


if __name__ == "__main__":
    main()
