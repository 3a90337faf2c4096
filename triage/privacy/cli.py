"""`triage candidates erase|export EMAIL` and `triage retention preview|run|schedule`."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from triage.db import Candidate, Team
from triage.db.base import utcnow
from triage.errors import TriageError
from triage.privacy import erase, export, retention, tasks
from triage.runtime import loop, queues


def _settings():
    return current_app.extensions["triage.settings"]


def _database():
    return current_app.extensions["triage.database"]


@click.group("candidates")
def candidates_command() -> None:
    """A candidate's data: erase it, or export it for them."""


@candidates_command.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def erase_command(email: str, yes: bool) -> None:
    """Erase every trace of the candidate EMAIL (mail, replies, corrections, sent copies); irreversible."""
    settings = _settings()
    with _database().session() as session:
        try:
            candidate = erase.find(session, email)
        except TriageError as exc:
            raise click.ClickException(str(exc)) from None
        if not yes:
            click.confirm(f"Erase candidate {candidate.id} and all their data? This cannot be undone", abort=True)
        erased = erase.erase(session, settings, [candidate.id], user_id=None, reason="request", now=utcnow())
        session.commit()
        files = erase.remove_files(session, settings, erased)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(erased.counts.items()))
    click.echo(f"erased candidate {candidate.id}: {counts}, files {files}")


@candidates_command.command("export")
@click.argument("email")
@click.option("--out", "out", type=click.Path(dir_okay=False), help="The zip to write (default: ./candidate-ID.zip).")
@with_appcontext
def export_command(email: str, out: str | None) -> None:
    """Write a zip of everything Triage holds about the candidate EMAIL, readable by them."""
    with _database().session() as session:
        try:
            candidate = erase.find(session, email)
        except TriageError as exc:
            raise click.ClickException(str(exc)) from None
        data = export.build(session, candidate, utcnow())
    path = Path(out or f"candidate-{candidate.id}.zip")
    path.write_bytes(data)
    path.chmod(0o600)
    click.echo(f"wrote {path} ({len(data)} bytes)")


@click.group("retention")
def retention_command() -> None:
    """Erase candidates' data when their team's retention period is over."""


@retention_command.command("preview")
@with_appcontext
def preview_command() -> None:
    """List what the next retention run will erase (nothing is changed)."""
    with _database().session() as session:
        items = retention.due(session, utcnow())
        names = dict(session.execute(select(Candidate.id, Candidate.email)).all()) if items else {}
        teams = session.scalar(select(Team.id).limit(1))
    if not items:
        click.echo("nothing is due")
        return
    for item in items:
        what = "everything" if item.scope == "person" else "mail only (hired)"
        click.echo(
            f"{item.candidate_id}\t{names.get(item.candidate_id, '')}\t{what}\tlast activity "
            f"{item.last_activity.date().isoformat()}\t{item.months} months\t"
            f"{item.messages} messages\t{item.outbound} sent"
        )
    people = sum(1 for i in items if i.scope == "person")
    click.echo(
        f"{people} candidate(s) erased, {len(items) - people} hired candidate(s)' mail erased, "
        f"{sum(i.messages for i in items)} messages" + ("" if teams is not None else " (default policy: no teams)")
    )


@retention_command.command("run")
@with_appcontext
def run_command() -> None:
    """Erase what is due now (the daily job does this; use it to run one by hand)."""
    counts = retention.run(_database(), _settings(), utcnow())
    click.echo(", ".join(f"{k} {v}" for k, v in counts.items()))


@retention_command.command("schedule")
@click.option("--once", is_flag=True, help="Schedule the next run, then exit.")
@click.option("--every", default=3600.0, show_default=True, help="Seconds between checks.")
@with_appcontext
def schedule_command(once: bool, every: float) -> None:
    """Keep the daily retention run scheduled in RQ (03:00 UTC); keep one running beside the sweepers."""
    redis = queues.connect(_settings())
    if once:
        click.echo(f"scheduled {tasks.schedule(redis)}")
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    loop.repeat("retention schedule", lambda: tasks.schedule(redis), every, stop)
