"""`triage roles create|edit|close|reopen|list`, `triage applicants import` and `triage users invite`."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from triage.accounts import users as accounts
from triage.db import JobRole, UserRole
from triage.errors import TriageError
from triage.hiring import roles, teams

# The ATS readers and the mail parts are imported inside the commands that use them: triage.cli imports
# this module to put `invite` on its (eager) users group, and every `triage` command would pay for them.


def _database():
    return current_app.extensions["triage.database"]


def _fail(exc: TriageError):
    return click.ClickException(str(exc))


@click.group("roles")
def roles_command() -> None:
    """Create, edit, close, reopen and list roles."""


def _fields(reference, title, team, owner, line_managers) -> dict:
    data = {"reference": reference, "title": title, "team": team, "owner": owner}
    data = {k: v for k, v in data.items() if v is not None}
    if line_managers is not None:
        data["line_managers"] = [p.strip() for p in line_managers.split(",") if p.strip()]
    return data


ROLE_OPTIONS = [
    click.option("--title"),
    click.option("--team", help="Team name (made when new); '' for none."),
    click.option("--owner", help="The recruiter who owns it (email or id); '' for none."),
    click.option("--line-managers", help="Comma-separated emails or ids of line managers ('' for none)."),
]


def _with_role_options(func):
    for option in reversed(ROLE_OPTIONS):
        func = option(func)
    return func


@roles_command.command("create")
@click.argument("reference")
@_with_role_options
@with_appcontext
def roles_create(reference, title, team, owner, line_managers) -> None:
    """Create the role REFERENCE (e.g. REQ-1042, pinned by jobs+REQ-1042@)."""
    with _database().session() as session:
        try:
            role = roles.create(session, _fields(reference, title, team, owner, line_managers), None)
        except TriageError as exc:
            raise _fail(exc) from None
        session.commit()
        click.echo(f"created role {role.reference} (id {role.id}): {role.title}")


@roles_command.command("edit")
@click.argument("role")
@click.option("--reference", help="A new reference.")
@_with_role_options
@with_appcontext
def roles_edit(role, reference, title, team, owner, line_managers) -> None:
    """Change ROLE (reference or id)."""
    _change(
        role, lambda session, job: roles.edit(session, job, _fields(reference, title, team, owner, line_managers), None)
    )


@roles_command.command("close")
@click.argument("role")
@with_appcontext
def roles_close(role) -> None:
    """Close ROLE: no new applicants are matched to it."""
    _change(role, lambda session, job: roles.set_open(session, job, False, None))


@roles_command.command("reopen")
@click.argument("role")
@with_appcontext
def roles_reopen(role) -> None:
    """Reopen a closed ROLE."""
    _change(role, lambda session, job: roles.set_open(session, job, True, None))


def _change(key: str, change) -> None:
    with _database().session() as session:
        try:
            job = roles.find(session, key)
            changed = change(session, job)
        except TriageError as exc:
            raise _fail(exc) from None
        session.commit()
        state = "open" if job.is_open else "closed"
        click.echo(f"{job.reference}: {'changed' if changed else 'unchanged'} ({job.title}, {state})")


@roles_command.command("list")
@with_appcontext
def roles_list() -> None:
    """Every role: id, reference, open/closed, team, owner, title."""
    with _database().session() as session:
        for role in session.scalars(select(JobRole).order_by(JobRole.reference)):
            team = role.team.name if role.team else "-"
            owner = role.owner.email if role.owner else "-"
            state = "open" if role.is_open else "closed"
            click.echo(f"{role.id}\t{role.reference}\t{state}\t{team}\t{owner}\t{role.title}")


@click.group("applicants")
def applicants_command() -> None:
    """Applicants from an ATS export."""


@applicants_command.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--role", "role_key", required=True, help="The role's reference (or id).")
@click.option("--timezone", "zone_name", default="UTC", show_default=True, help="For dates written without a zone.")
@click.option("--day-first", is_flag=True, help="Read 03/11/2026 as 3 November (European exports).")
@click.option("--dry-run", is_flag=True, help="Check and show what would change; write nothing.")
@with_appcontext
def applicants_import(path: Path, role_key: str, zone_name: str, day_first: bool, dry_run: bool) -> None:
    """Import a Greenhouse, Lever, Workable or Teamtailor CSV export into a role: all rows or none."""
    from triage.hiring import applicants, csvfile  # deferred: see the imports above

    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown time zone {zone_name!r}", param_hint="--timezone") from None
    if path.stat().st_size > csvfile.MAX_BYTES:
        raise click.ClickException(
            f"{path.name} is {path.stat().st_size / 2**20:.1f} MB; an export is at most {csvfile.MAX_BYTES // 2**20} MB"
        )
    with _database().session() as session:
        try:
            role = roles.find(session, role_key)
            plan = applicants.plan_csv(session, path.read_bytes(), role, zone=zone, day_first=day_first)
        except TriageError as exc:
            raise _fail(exc) from None
        columns = ", ".join(f"{field}={column!r}" for field, column in plan.columns.items())
        click.echo(f"{path.name}: {plan.ats} export, {plan.encoding}, columns {columns}")
        if plan.dates_note:
            click.echo(plan.dates_note)
        if plan.errors:
            click.echo(plan.error_text(limit=1000), err=True)
            raise click.ClickException(f"{len(plan.errors)} bad row(s) in {path.name}; nothing imported")
        counts = plan.counts
        summary = f"{counts['new']} new, {counts['update']} updated, {counts['unchanged']} unchanged"
        if dry_run:
            click.echo(f"dry run: would import into {role.reference}: {summary}")
            return
        applicants.apply(session, plan, None, source="cli")
        session.commit()
        click.echo(f"imported into {role.reference}: {summary}")


# --- people -------------------------------------------------------------------------------------
def _mail_invitation(session, user, token: str) -> None:
    """Queue the invitation email, commit, then hand it to a worker (Redis down: the outbox sweep sends it)."""
    from triage.hiring import people  # deferred: see the imports above
    from triage.outbound import dispatch
    from triage.runtime import queues

    settings = current_app.extensions["triage.settings"]
    link = f"{settings.base_url.rstrip('/')}/invitations/{token}"
    mail = people.invitation_mail(settings, user, link, None)
    session.add(mail)
    session.commit()
    dispatch.nudge_delivery(queues.connect(settings), [mail.id])


@click.command("invite")
@click.argument("email")
@click.option("--name", default="")
@click.option("--kind", type=click.Choice([k.value for k in UserRole]), default="recruiter", show_default=True)
@click.option("--team", help="The team's name.")
@click.option("--roles", "role_keys", default="", help="Comma-separated role references a line manager co-owns.")
@click.option("--resend", is_flag=True, help="Send EMAIL a new link (the earlier ones stop working).")
@with_appcontext
def invite_command(email: str, name: str, kind: str, team: str | None, role_keys: str, resend: bool) -> None:
    """Invite EMAIL: they get an email with a link to choose their password (it works once, for 7 days)."""
    from triage.hiring import people  # deferred: see the imports above

    settings = current_app.extensions["triage.settings"]
    with _database().session() as session:
        try:
            if resend:
                user = accounts.by_email(session, email)
                token = people.resend(session, settings.secret_key, user, None)
            else:
                team_id = teams.find(session, None, team).id if team else None
                role_ids = [roles.find(session, key.strip()).id for key in role_keys.split(",") if key.strip()]
                user, token = people.invite(
                    session, settings.secret_key, email, name, kind, None, team_id=team_id, role_ids=role_ids
                )
        except TriageError as exc:
            raise _fail(exc) from None
        _mail_invitation(session, user, token)
        click.echo(f"invitation sent to {user.email} ({user.role.value}); the link works once, for 7 days")
