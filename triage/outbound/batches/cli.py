"""`triage batch send|progress|sweep`: batched status updates from scripts and cron."""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from triage.errors import TriageError
from triage.outbound import batches, dispatch
from triage.runtime import loop, queues


def _settings():
    return current_app.extensions["triage.settings"]


def _database():
    return current_app.extensions["triage.database"]


def _split(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def parse_at(text: str, now: datetime | None = None) -> datetime:
    """'2026-12-11T09:00+01:00', '2026-12-11 09:00' or '09:00' (the next such time), local time unless given."""
    now = now or datetime.now().astimezone()
    try:
        if len(text) <= 5 and ":" in text:
            hour, minute = (int(x) for x in text.split(":"))
            when = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
            return when if when > now else when + timedelta(days=1)
        when = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a time like 09:00 or 2026-12-11T09:00") from None
    return when if when.tzinfo else when.astimezone()  # a naive time is this machine's local time


@click.group("batch")
def batch_command() -> None:
    """Batched status updates: send (now or at a time), watch progress, sweep the outbox."""


@batch_command.command("send")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    metavar="REF",
    help="Role reference(s), repeatable or comma-separated; 'all' for every open role.",
)
@click.option(
    "--stage",
    "stages",
    multiple=True,
    required=True,
    metavar="STAGE",
    help="Application stage(s) to include, repeatable or comma-separated.",
)
@click.option(
    "--template",
    "template_name",
    default="status_update",
    show_default=True,
    help="Template name, or a kind such as status_update.",
)
@click.option(
    "--next-update",
    "next_update",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="The date of the next update, named in the email (YYYY-MM-DD).",
)
@click.option("--at", "at", default=None, help="Send at this time instead of now (RQ's scheduler).")
@click.option("--override", is_flag=True, help="Also write to candidates updated in the last N days.")
@click.option("--dry-run", is_flag=True, help="Show the count, the skips and the first email; send nothing.")
@click.option("--wait", is_flag=True, help="Wait until every email is sent or failed, with a progress bar.")
@click.option("--timeout", default=3600, show_default=True, help="Seconds --wait waits at most.")
@with_appcontext
def send(roles, stages, template_name, next_update, at, override, dry_run, wait, timeout) -> None:
    """Send one personal status update to every candidate of the roles × stages."""
    settings, database = _settings(), _database()
    when = parse_at(at) if at else None
    try:
        with database.session() as session:
            role_ids = batches.role_ids_for(session, _split(roles))
            template = batches.template_named(session, template_name)
            choice = dict(
                role_ids=role_ids,
                stages=_split(stages),
                template_id=template.id,
                next_update_on=next_update.date(),
                override=override,
            )
            if dry_run:
                _show_preview(batches.preview(session, **choice, limit=1))
                session.rollback()
                return
            batch = batches.create(session, **choice, user_id=None)
            if when:
                batches.schedule(session, batch.id, when, None)
                session.commit()
                handed = dispatch.enqueue_scheduled(queues.connect(settings), batch)
                click.echo(
                    f"batch {batch.id} scheduled for {when.isoformat(timespec='minutes')}"
                    + ("" if handed else " (Redis is down: `triage batch sweep` sends it at its time)")
                )
            else:
                result = dispatch.send_batch_now(session, settings, queues.connect(settings), batch.id)
                click.echo(
                    f"batch {batch.id}: {len(result.outbound_ids)} emails queued, "
                    f"{sum(result.skipped.values())} skipped, {result.answered} open status checks answered"
                )
            batch_id = batch.id
    except TriageError as exc:
        raise click.ClickException(str(exc)) from None
    if wait:
        sys.exit(_wait(batch_id, timeout))


def _show_preview(preview: dict) -> None:
    click.echo(f"{preview['count']} candidates would get an email")
    for reason, n in sorted(preview["skipped"].items()):
        click.echo(f"  skipped {n}: {reason}")
    for sample in preview["samples"]:
        click.echo(f"\nTo: {sample['to']}\nSubject: {sample['subject']}\n\n{sample['body_text']}")


def _wait(batch_id: int, timeout: float) -> int:
    """Show a progress bar until the batch is done; print the summary; 0 when nothing failed."""
    database = _database()
    deadline = time.monotonic() + timeout
    with database.session() as session:
        progress = batches.progress(session, batch_id)
    while progress["state"] == "scheduled" and time.monotonic() < deadline:
        time.sleep(1)
        with database.session() as session:
            progress = batches.progress(session, batch_id)
    with click.progressbar(
        length=max(progress["total"], 1), label=f"batch {batch_id}", show_pos=True, file=sys.stderr
    ) as bar:
        shown = 0
        while time.monotonic() < deadline:
            with database.session() as session:
                progress = batches.progress(session, batch_id, failures=1000)
            done = progress["total"] - progress["queued"]
            bar.update(done - shown)
            shown = done
            if progress["queued"] == 0 and progress["state"] not in ("scheduled", "draft"):
                break
            time.sleep(0.5)
    with database.session() as session:
        if batches.mark_finished(session, batch_id):
            session.commit()
    _summary(progress)
    if progress["queued"]:
        click.echo(
            f"gave up waiting after {timeout:.0f} s; {progress['queued']} still queued (is a worker running?)", err=True
        )
        return 2
    return 1 if progress["failed"] else 0


def _summary(progress: dict) -> None:
    skipped = sum(progress["skipped"].values())
    click.echo(
        f"sent {progress['sent']}, failed {progress['failed']}, skipped {skipped}"
        + (f", cancelled {progress['cancelled']}" if progress["cancelled"] else "")
    )
    for reason, n in sorted(progress["skipped"].items()):
        click.echo(f"  skipped {n}: {reason}")
    reasons = Counter(f["reason"][:120] for f in progress["failures"])
    for reason, n in reasons.most_common():
        click.echo(f"  failed {n}: {reason}")


@batch_command.command("progress")
@click.argument("batch_id", type=int)
@with_appcontext
def progress_command(batch_id: int) -> None:
    """Print a batch's sent / failed / skipped counts and the reasons."""
    with _database().session() as session:
        try:
            _summary(batches.progress(session, batch_id, failures=1000))
        except TriageError as exc:
            raise click.ClickException(str(exc)) from None


@batch_command.command("sweep")
@click.option("--once", is_flag=True, help="One pass, then exit.")
@click.option("--every", default=15.0, show_default=True, help="Seconds between passes.")
@with_appcontext
def sweep_command(once: bool, every: float) -> None:
    """Reclaim outbox rows from dead workers, re-enqueue due retries, send scheduled batches RQ's
    scheduler missed (keep one running; it waits out database and Redis outages)."""
    settings, database = _settings(), _database()
    redis = queues.connect(settings)
    if once:
        result = dispatch.sweep(database, redis, settings)
        click.echo(f"reclaimed {result['reclaimed']}, enqueued {result['enqueued']}, batches {result['batches']}")
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    loop.repeat("outbox sweep", lambda: dispatch.sweep(database, redis, settings), every, stop)
