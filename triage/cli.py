"""The `triage` command: a Flask CLI group; every subcommand is a thin shell over a module."""

from __future__ import annotations

import importlib
import logging
import secrets
import signal
import sys
import threading

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from triage import config, create_app
from triage.accounts import users as accounts
from triage.dates import moment
from triage.db import User, UserRole
from triage.errors import ConfigError, TriageError
from triage.hiring.cli import invite_command


def _settings():
    try:
        return config.load()
    except ConfigError as exc:
        click.echo(f"triage: configuration error: {exc}", err=True)
        sys.exit(2)


def _create_app():
    return create_app(_settings())


# Commands that live beside the part they drive, imported only when invoked so that a quick
# command (or a process that `triage up` starts) does not pay for scikit-learn's import.
LAZY_COMMANDS = {
    "parse": "triage.mail.cli:parse_command",
    "train": "triage.classifier.cli:train_command",
    "eval": "triage.classifier.cli:eval_command",
    "classify": "triage.classifier.cli:classify_command",
    "smtp": "triage.intake.cli:smtp_command",
    "imap": "triage.intake.cli:imap_command",
    "import": "triage.intake.cli:import_command",
    "sweeper": "triage.intake.cli:sweeper_command",
    "batch": "triage.outbound.batches.cli:batch_command",
    "demo": "triage.demo.cli:demo_command",
    "retrain": "triage.classifier.retrain:retrain_command",
    "candidates": "triage.privacy.cli:candidates_command",
    "retention": "triage.privacy.cli:retention_command",
    "roles": "triage.hiring.cli:roles_command",
    "applicants": "triage.hiring.cli:applicants_command",
}


class TriageGroup(FlaskGroup):
    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx, name):
        return super().get_command(ctx, name) or _lazy(name)


def _lazy(name: str):
    """The command `name`, imported from its module only now."""
    if name not in LAZY_COMMANDS:
        return None
    module_name, attr = LAZY_COMMANDS[name].split(":")
    return getattr(importlib.import_module(module_name), attr)


@click.group(
    cls=TriageGroup, create_app=_create_app, add_default_commands=False, add_version_option=False, load_dotenv=False
)
def cli() -> None:
    """Triage: the recruiter-side inbox."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # aiosmtpd logs every SMTP command at INFO, candidates' addresses included: warnings only.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    # alembic names each of its autogenerate plugins at INFO on every upgrade: noise at `make run`.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def app_settings():
    return current_app.extensions["triage.settings"]


def app_database():
    return current_app.extensions["triage.database"]


# --- database -------------------------------------------------------------------------------
@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    from triage.db import migrate  # deferred, like the lazy commands: Alembic is slow to import

    migrate.upgrade(app_database(), revision)
    click.echo(f"database at {migrate.current(app_database())}")


# --- users ----------------------------------------------------------------------------------
@cli.group()
def users() -> None:
    """Manage users and API tokens."""


ROLES = click.Choice([role.value for role in UserRole])
PASSWORD_HELP = "At least 10 characters, not a common password, not the email; prompted when omitted."


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--role", type=ROLES, default="admin", show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help=PASSWORD_HELP)
@click.option("--if-missing", is_flag=True, help="Succeed quietly when the user already exists.")
@with_appcontext
def users_create(email: str, name: str, role: str, password: str, if_missing: bool) -> None:
    """Create a user (the first one should be an admin)."""

    with app_database().session() as session:
        if if_missing and session.scalar(select(User).where(User.email == accounts.normalize_email(email))):
            click.echo(f"user {email} exists")
            return
        try:
            user = accounts.create_user(session, email, name, password, role)
        except TriageError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
        click.echo(f"created {user.role} {user.email} (id {user.id})")


users.add_command(invite_command)  # `triage users invite EMAIL`: the invitee sets a password through a mailed link


@users.command("list")
@with_appcontext
def users_list() -> None:

    with app_database().session() as session:
        for user in session.scalars(select(User).order_by(User.id)):
            click.echo(f"{user.id}\t{user.email}\t{user.role}\t{'active' if user.active else 'disabled'}")


def _change_user(email: str, change, done: str) -> None:
    """Apply `change(session, user)` to the user EMAIL and commit, or fail with the reason."""
    with app_database().session() as session:
        try:
            user = accounts.by_email(session, email)
            change(session, user)
        except TriageError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
        click.echo(f"{user.email}: {done}")


@users.command("password")
@click.argument("email")
@click.option("--password", prompt="New password", hide_input=True, confirmation_prompt=True, help=PASSWORD_HELP)
@with_appcontext
def users_password(email: str, password: str) -> None:
    """Set EMAIL's password; their open sessions end."""
    _change_user(email, lambda session, user: accounts.set_password(session, user, password), "password changed")


@users.command("role")
@click.argument("email")
@click.argument("role", type=ROLES)
@with_appcontext
def users_role(email: str, role: str) -> None:
    """Give EMAIL another ROLE; their open sessions end."""
    _change_user(email, lambda session, user: accounts.set_role(session, user, role), f"now {role}")


@users.command("deactivate")
@click.argument("email")
@with_appcontext
def users_deactivate(email: str) -> None:
    """Stop EMAIL from logging in; their open sessions end and their API tokens stop working."""
    _change_user(email, accounts.deactivate, "deactivated")


@users.command("activate")
@click.argument("email")
@with_appcontext
def users_activate(email: str) -> None:
    """Let a deactivated EMAIL log in again."""
    _change_user(email, accounts.activate, "active")


@users.command("tokens")
@click.argument("email")
@with_appcontext
def users_tokens(email: str) -> None:
    """List EMAIL's API tokens: id, name, created, last used, revoked."""
    with app_database().session() as session:
        try:
            user = accounts.by_email(session, email)
        except TriageError as exc:
            raise click.ClickException(str(exc)) from None
        for token in accounts.tokens_of(session, user):
            used = moment(token.last_used_at) if token.last_used_at else "never used"
            state = f"revoked {moment(token.revoked_at)}" if token.revoked_at else "active"
            click.echo(f"{token.id}\t{token.name}\tcreated {moment(token.created_at)}\t{used}\t{state}")


class TokenGroup(click.Group):
    """`token EMAIL [--name N]` still makes a token, as it did before `token revoke`."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] != "--help":
            args = ["create", *args]
        return super().parse_args(ctx, args)


@users.group("token", cls=TokenGroup)
def users_token() -> None:
    """Make (`token EMAIL`) or revoke API bearer tokens."""


@users_token.command("create")
@click.argument("email")
@click.option("--name", default="cli", show_default=True)
@with_appcontext
def users_token_create(email: str, name: str) -> None:
    """Make an API bearer token for EMAIL (shown once)."""

    with app_database().session() as session:
        user = session.scalar(select(User).where(User.email == accounts.normalize_email(email)))
        if user is None:
            raise click.ClickException(f"no user {email}")
        token = accounts.create_token(session, user, name)
        session.commit()
    click.echo(token)


@users_token.command("revoke")
@click.argument("token_id", required=False, type=int)
@click.option("--email", help="With --name: the token's owner.")
@click.option("--name", help="With --email: revoke the owner's unrevoked tokens of this name.")
@with_appcontext
def users_token_revoke(token_id: int | None, email: str | None, name: str | None) -> None:
    """Revoke the token TOKEN_ID (see `triage users tokens EMAIL`), or --email E --name N.

    Web processes remember a token for up to 10 seconds: it stops working within that.
    """
    if (token_id is None) == (email is None or name is None):
        raise click.UsageError("give either TOKEN_ID or both --email and --name")
    with app_database().session() as session:
        try:
            owner = accounts.by_email(session, email) if email else None
            revoked = accounts.revoke_tokens(session, token_id=token_id, user=owner, name=name)
        except TriageError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
        for token in revoked:
            click.echo(f"revoked token {token.id} ({token.name})")


@users.command("demo-admin")
@with_appcontext
def users_demo_admin() -> None:
    """Create the demo admin once (password kept in var/demo-login.txt) and print the login."""

    email = "admin@triage.localhost"
    login_file = app_settings().var_dir / "demo-login.txt"
    with app_database().session() as session:
        if session.scalar(select(User).where(User.email == email)) is None or not login_file.exists():
            password = secrets.token_urlsafe(12)
            user = session.scalar(select(User).where(User.email == email))
            if user is None:
                accounts.create_user(session, email, "Demo Admin", password, "admin")
            else:
                accounts.set_password(session, user, password)
            session.commit()
            login_file.write_text(f"{email} {password}\n")
            login_file.chmod(0o600)
    email, password = login_file.read_text().split()
    click.echo(f"Log in at {app_settings().base_url}/login as {email} with password {password}")


# --- processes ------------------------------------------------------------------------------
@cli.command()
@click.option("--workers", default=2, show_default=True, help="gunicorn web processes")
@click.option("--demo", is_flag=True, help="On an empty database, feed in the demo (`triage demo`).")
def up(workers: int, demo: bool) -> None:
    """Run the web app, the workers (mail, retraining), the SMTP sink and the SMTP listener; Ctrl-C stops all."""
    from triage.runtime import up as up_module  # deferred: each command imports only the part it runs

    sys.exit(up_module.run(_settings(), workers, demo))


@cli.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--name", default=None)
@click.option(
    "--queue",
    "queue_names",
    multiple=True,
    metavar="NAME",
    help="Serve only this queue; repeat for several (default: every queue, by priority).",
)
def worker(burst: bool, name: str | None, queue_names: tuple[str, ...]) -> None:
    """Run one RQ worker (builds the runtime and loads the model once)."""
    # Deferred: each command imports only the part it runs (the worker loads the pipeline).
    from triage.runtime import queues
    from triage.runtime import worker as worker_module

    try:
        names = queues.ordered(queue_names)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--queue") from exc
    w = worker_module.build(_settings(), name, names)
    w.work(burst=burst, with_scheduler=True, logging_level="INFO")


@cli.command()
def sink() -> None:
    """Run the local SMTP sink that keeps outbound mail under var/sink."""

    from triage.outbound.sink import Sink  # deferred: each command imports only the part it runs

    settings = _settings()
    server = Sink("127.0.0.1", settings.sink_port, settings.var_dir / "sink").start()
    click.echo(f"SMTP sink on 127.0.0.1:{settings.sink_port}, keeping mail in {settings.var_dir / 'sink'}")
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    stopped.wait()
    server.stop()


def main() -> None:
    cli(prog_name="triage")


if __name__ == "__main__":
    main()
