"""`triage smtp`, `triage imap`, `triage import`, `triage sweeper`: thin shells over triage.intake."""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import click

from triage import config
from triage.config import Settings
from triage.db import Database
from triage.errors import ConfigError
from triage.intake import files, imap, sweeper
from triage.intake.smtp import Listener, connect_redis
from triage.runtime import loop

log = logging.getLogger(__name__)


def _settings() -> Settings:
    try:
        return config.load()
    except ConfigError as exc:
        click.echo(f"triage: configuration error: {exc}", err=True)
        sys.exit(2)


def _wait_for_signal() -> threading.Event:
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    return stopped


@click.command("smtp")
@click.option("--port", type=int, default=None, help="Override TRIAGE_SMTP_PORT.")
def smtp_command(port: int | None) -> None:
    """Run the inbound SMTP listener for the configured addresses (STARTTLS with TRIAGE_TLS_CERT)."""
    settings = _settings()
    stopped = _wait_for_signal()
    listener = Listener(settings, redis=connect_redis(settings), port=port).start()
    click.echo(
        f"inbound SMTP on {settings.smtp_listen_host}:{listener.port} for {', '.join(settings.inbound_addresses)}",
        err=True,
    )
    stopped.wait()
    listener.stop()


@click.command("imap")
@click.option("--host", envvar="TRIAGE_IMAP_HOST", required=True, help="IMAP server [TRIAGE_IMAP_HOST].")
@click.option("--port", envvar="TRIAGE_IMAP_PORT", type=int, default=None, help="Default 993, or 143.")
@click.option("--user", "username", envvar="TRIAGE_IMAP_USER", required=True, help="[TRIAGE_IMAP_USER]")
@click.option(
    "--password",
    envvar="TRIAGE_IMAP_PASSWORD",
    required=True,
    prompt=True,
    hide_input=True,
    help="[TRIAGE_IMAP_PASSWORD]",
)
@click.option(
    "--folder",
    "folders",
    envvar="TRIAGE_IMAP_FOLDERS",
    multiple=True,
    default=("INBOX",),
    show_default=True,
    help="Repeat for several folders [TRIAGE_IMAP_FOLDERS, space-separated].",
)
@click.option(
    "--security",
    type=click.Choice(["ssl", "starttls", "none"]),
    envvar="TRIAGE_IMAP_SECURITY",
    default="ssl",
    show_default=True,
)
@click.option("--no-verify", is_flag=True, help="Do not check the server's certificate (testing only).")
@click.option("--interval", type=float, default=30.0, show_default=True, help="Seconds between polls.")
@click.option("--once", is_flag=True, help="Poll once and exit.")
def imap_command(
    host: str,
    port: int | None,
    username: str,
    password: str,
    folders: tuple[str, ...],
    security: str,
    no_verify: bool,
    interval: float,
    once: bool,
) -> None:
    """Poll IMAP folders for new mail (read-only: the \\Seen flag is never changed)."""
    settings = _settings()
    source = imap.Source(
        host, port or (993 if security == "ssl" else 143), username, password, tuple(folders), security, not no_verify
    )
    database = Database(settings.database_url)
    redis = connect_redis(settings)
    if once:
        try:
            click.echo(f"stored {imap.poll_once(source, database, redis)} new message(s)")
        except Exception as exc:  # noqa: BLE001 - one line for the person at the terminal
            raise click.ClickException(f"IMAP poll failed: {type(exc).__name__}: {exc}") from None
        return
    imap.run(source, database, redis, interval, _wait_for_signal())


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--queue", "use_queue", is_flag=True, help="Store only; let the RQ workers process.")
@click.option(
    "--received-from-date", is_flag=True, help="Backfill: take each message's received time from its Date header."
)
@click.option("--processes", type=int, default=None, help="Reading/classifying processes (default: CPUs).")
def import_command(paths: tuple[Path, ...], use_queue: bool, received_from_date: bool, processes: int | None) -> None:
    """Import .eml files, mbox files and Maildir folders; runs the whole pipeline in batches.

    A file that is not an email (a .msg, a photo, notes) is stored nowhere and counted as failed.
    """
    # Deferred: bulk runs the pipeline, which loads scikit-learn; `triage smtp` must not pay for it.
    from triage.intake import bulk

    settings = _settings()
    started = time.perf_counter()
    total = files.count(list(paths))
    with click.progressbar(length=total, label="importing", file=sys.stderr) as bar:
        summary = bulk.run(
            settings,
            list(paths),
            use_queue=use_queue,
            received_from_date=received_from_date,
            advance=bar.update,
            processes=processes,
        )
    elapsed = time.perf_counter() - started
    for error in summary.errors:
        click.echo(f"failed: {error}", err=True)
    if summary.unlisted:
        click.echo(f"failed: {summary.unlisted} more not listed", err=True)
    lanes = ", ".join(f"{k} {v}" for k, v in sorted(summary.lanes.items()))
    click.echo(
        f"new {summary.new}, duplicate {summary.duplicate}, failed {summary.failed}"
        f" in {elapsed:.1f} s"
        + (f" (lanes: {lanes})" if lanes else "")
        + (" — queued for the workers" if use_queue else "")
    )
    if summary.failed:
        sys.exit(1)


@click.command("sweeper")
@click.option("--interval", type=float, default=30.0, show_default=True, help="Seconds between sweeps.")
@click.option(
    "--grace", type=float, default=60.0, show_default=True, help="Only rows stored at least this many seconds ago."
)
@click.option("--once", is_flag=True, help="Sweep once and exit.")
def sweeper_command(interval: float, grace: float, once: bool) -> None:
    """Re-enqueue messages that were stored but never processed (e.g. while Redis was down)."""
    settings = _settings()
    database = Database(settings.database_url)
    redis = connect_redis(settings)
    if redis is None:
        raise click.ClickException("no Redis client could be built from REDIS_URL")
    if once:
        try:
            click.echo(f"re-enqueued {sweeper.sweep(database, redis, timedelta(seconds=grace))} message(s)")
        except Exception as exc:  # noqa: BLE001 - one line for the person at the terminal
            raise click.ClickException(f"sweep failed: {type(exc).__name__}") from None
        return
    # Database and Redis outages are waited out (one line each, with backoff), never exited on.
    loop.repeat("sweep", lambda: sweeper.sweep(database, redis, timedelta(seconds=grace)), interval, _wait_for_signal())
