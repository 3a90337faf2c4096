"""`triage retrain` and the retrain job: run promotion.retrain here or hand it to a worker.

What a retrain does (train a candidate, score it against the active model, activate it only if
it does no worse) is in promotion; the examples it is scored on, in holdout.
"""

from __future__ import annotations

import sys

import click
from redis import Redis
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from triage import config
from triage.classifier import corrections
from triage.classifier.holdout import held_out_split, subsample  # noqa: F401 - part of retraining's names
from triage.classifier.promotion import SEED, retrain
from triage.db import Database
from triage.errors import ConfigError, TriageError
from triage.runtime import jobs, queues

JOB_ID = "triage-retrain"  # one retrain at a time: a second click finds this job queued
JOB_TIMEOUT = 3600  # the full corpus trains in 2-3 minutes on one core; leave room for a busy box


# --- RQ -------------------------------------------------------------------------------------------
def retrain_job(per_label: int | None = None, seed: int = SEED, user_id: int | None = None) -> dict:
    """RQ entry point: retrain through the worker's runtime; the result says what was decided."""
    rt = jobs.runtime()
    return retrain(rt.settings, rt.database, seed=seed, per_label=per_label, user_id=user_id).as_dict()


def pending_job(redis: Redis):
    """The retrain job if it is waiting or running, else None."""
    try:
        job = Job.fetch(JOB_ID, connection=redis)
    except NoSuchJobError:
        return None
    waiting = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED)
    return job if job.get_status() in waiting else None


def enqueue(redis: Redis, *, user_id: int | None = None, per_label: int | None = None):
    """Queue one retrain job; return (job, False) when one is already waiting or running."""
    job = pending_job(redis)
    if job is not None:
        return job, False
    # Its own queue: `triage up` runs a worker for it, so mail is not kept waiting for minutes.
    job = queues.queue(redis, queues.RETRAIN).enqueue(
        retrain_job,
        kwargs={"per_label": per_label, "user_id": user_id},
        job_id=JOB_ID,
        job_timeout=JOB_TIMEOUT,
        result_ttl=7 * 86400,
        failure_ttl=7 * 86400,
        description="retrain the intent model",
    )
    return job, True


# --- CLI ------------------------------------------------------------------------------------------
@click.command("retrain")
@click.option("--queue", "use_queue", is_flag=True, help="Hand the job to the workers instead of running it here.")
@click.option(
    "--per-label",
    type=click.IntRange(min=5),
    default=None,
    help="Train on at most N corpus examples per label (a quick trial, not for real use).",
)
@click.option("--seed", type=int, default=SEED, show_default=True)
@click.option(
    "--export",
    "export_to",
    type=click.Path(dir_okay=False),
    default=None,
    help="Only write the corrections as JSON lines to FILE (under var/) and exit.",
)
def retrain_command(use_queue: bool, per_label: int | None, seed: int, export_to: str | None) -> None:
    """Retrain on corpus + corrections; activate the model only if held-out macro-F1 does not drop."""
    try:
        settings = config.load()
    except ConfigError as exc:
        click.echo(f"triage: configuration error: {exc}", err=True)
        sys.exit(2)
    database = Database(settings.database_url)
    try:
        if export_to:
            with database.session() as session:
                records = corrections.export(session)
            path = corrections.write_jsonl(records, export_to, settings)
            click.echo(f"wrote {len(records)} corrected message(s) to {path}")
            return
        if use_queue:
            try:
                job, created = enqueue(queues.connect(settings), per_label=per_label)
            except RedisError as exc:
                raise click.ClickException(
                    f"Redis is unavailable ({type(exc).__name__}); run without --queue to retrain here"
                ) from exc
            click.echo(f"{'queued' if created else 'already queued'}: job {job.id}")
            return
        outcome = retrain(settings, database, seed=seed, per_label=per_label)
    except TriageError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        database.dispose()
    verb = "activated" if outcome.activated else "kept the active model; rejected"
    click.echo(f"{verb} {outcome.candidate}: {outcome.reason}")
    click.echo(f"previous {outcome.previous}; {outcome.corrections} corrected message(s) used")
    click.echo(f"trained with {outcome.realmail}")
    if outcome.pruned:
        click.echo(f"removed {len(outcome.pruned)} old model(s) from var/models: {', '.join(outcome.pruned)}")
