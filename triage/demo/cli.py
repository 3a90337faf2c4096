"""`triage demo --seed N`: populate an empty Triage through its real HTTP intake."""

from __future__ import annotations

import http.client
import random
import secrets
import sys
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

import click
from sqlalchemy import func, select

from triage import config
from triage.accounts import users as accounts
from triage.db import Database, JobRole, User
from triage.demo import past, people, traffic


def is_empty(url: str) -> bool:
    database = Database(url)
    try:
        with database.session() as session:
            return not session.scalar(select(func.count()).select_from(JobRole))
    finally:
        database.dispose()


def seed(
    settings: config.Settings, seed_value: int, base_url: str, per_role: int = 100, echo=click.echo
) -> dict[str, int]:
    """Create the demo's people and roles, then POST every demo email to the running web app."""
    rng = random.Random(seed_value)
    now = datetime.now(UTC)
    database = Database(settings.database_url)
    password = secrets.token_urlsafe(10)
    with database.session() as session:
        applicants, managers = people.build(session, rng, now, password, per_role)
        past.record_requests(session, settings, applicants, rng, now)  # what the applicants answer
        admin = session.scalar(select(User).where(User.role == "admin").order_by(User.id))
        if admin is None:
            admin = accounts.create_user(session, "admin@triage.localhost", "Demo Admin", password, "admin")
        token = accounts.create_token(session, admin, "demo")
        session.commit()
    login_file = settings.var_dir / "demo-users.txt"
    login_file.write_text(
        "".join(
            f"{email} {password}\n"
            for spec in people.TEAMS.values()
            for email in [spec["recruiter"][1]] + [m[1] for m in spec["managers"]]
        )
    )
    login_file.chmod(0o600)
    mails = traffic.generate(applicants, managers, rng, now, settings.inbound_addresses[0])
    counts = _post_all(base_url, token, mails, echo)
    echo(
        f"demo: {len(applicants)} applicants in {sum(len(t['roles']) for t in people.TEAMS.values())} roles, "
        f"{counts['accepted']} emails through the HTTP intake ({counts['failed']} failed); "
        f"team logins (same password) in {login_file}"
    )
    database.dispose()
    return counts


def _post_all(base_url: str, token: str, mails: list[traffic.Mail], echo) -> dict[str, int]:
    target = urlsplit(base_url)
    connection = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=30)
    counts = {"accepted": 0, "failed": 0}
    with click.progressbar(mails, label="demo: sending mail", file=sys.stderr) as bar:
        for mail in bar:
            path = f"/api/v1/messages?received_at={quote(mail.received_at.isoformat())}"
            try:
                connection.request(
                    "POST",
                    path,
                    body=mail.raw,
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "message/rfc822"},
                )
                response = connection.getresponse()
                response.read()
                ok = response.status in (200, 202)
            except OSError:
                connection.close()
                ok = False
            counts["accepted" if ok else "failed"] += 1
    connection.close()
    return counts


def _wait_for(base_url: str, seconds: float = 120) -> None:
    import time
    import urllib.request

    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise click.ClickException(f"{base_url} did not answer within {seconds:.0f}s") from None
            time.sleep(0.5)


@click.command("demo")
@click.option("--seed", "seed_value", default=1, show_default=True, help="Random seed: same seed, same demo.")
@click.option("--per-role", default=100, show_default=True, help="Applicants per role.")
@click.option("--url", default=None, help="The running web app (default: TRIAGE_BASE_URL).")
@click.option("--if-empty", is_flag=True, help="Do nothing when roles already exist.")
@click.option("--wait", is_flag=True, help="Wait up to 2 minutes for the web app to answer /healthz.")
def demo_command(seed_value: int, per_role: int, url: str | None, if_empty: bool, wait: bool) -> None:
    """Populate Triage with 8 roles, ~100 applicants each and 4-6 weeks of mail (needs `triage up`)."""
    try:
        settings = config.load()
    except config.ConfigError as exc:
        click.echo(f"triage: configuration error: {exc}", err=True)
        sys.exit(2)
    if not is_empty(settings.database_url):
        if if_empty:
            click.echo("demo: roles exist already; nothing to do")
            return
        raise click.ClickException("the database already has roles; the demo needs an empty one")
    if wait:
        _wait_for(url or settings.base_url)
    counts = seed(settings, seed_value, url or settings.base_url, per_role)
    if counts["failed"]:
        sys.exit(1)
