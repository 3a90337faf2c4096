"""People on a hiring team: invite a recruiter or line manager, give them roles, deactivate them.

An invitation makes the account without a password and mails the person a link to set their own
(triage.accounts.invitations: signed, expiring, used once); an admin can send a new link when one
has expired. Deactivation ends the user's sessions and revokes their API tokens in the same
transaction.
"""

from __future__ import annotations

from functools import cache

import jinja2
from sqlalchemy import select
from sqlalchemy.orm import Session

from triage import ROOT
from triage.accounts import invitations
from triage.accounts import users as accounts
from triage.config import Settings
from triage.db import ApiToken, JobRole, Outbound, Team, User, UserRole, audit
from triage.errors import BadInput
from triage.outbound import outbox


def invite(
    session: Session,
    secret_key: str,
    email: str,
    name: str,
    kind: str,
    actor_id: int | None,
    team_id: int | None = None,
    role_ids: list[int] = (),
) -> tuple[User, str]:
    """Create the account (no password yet) and its invitation; return it and the link's token."""
    user = accounts.create_user(session, email, name, None, kind, actor_id=actor_id)
    if team_id is not None:
        set_team(session, user, team_id, actor_id)
    if role_ids:
        assign_roles(session, user, role_ids, actor_id)
    _, token = invitations.issue(session, secret_key, user, actor_id)
    return user, token


def resend(session: Session, secret_key: str, user: User, actor_id: int | None) -> str:
    """A new link for someone who has not set a password yet (the earlier links stop working)."""
    _, token = invitations.issue(session, secret_key, user, actor_id)
    return token


@cache
def _email_template() -> jinja2.Template:
    loader = jinja2.FileSystemLoader(str(ROOT / "templates"))
    environment = jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return environment.get_template("auth/invitation_email.txt")


def invitation_mail(settings: Settings, user: User, link: str, inviter: User | None) -> Outbound:
    """The email that carries the link, as an outbox row (the caller adds it, commits, then nudges delivery)."""
    inviter_name = inviter.name if inviter is not None else "An admin"
    body = _email_template().render(
        name=user.name,
        inviter=inviter_name,
        kind=user.role.value.replace("_", " "),
        link=link,
        days=invitations.LINK_DAYS,
        email=user.email,
    )
    return outbox.new_row(
        settings,
        kind="invitation",
        to_address=user.email,
        to_name=user.name,
        subject="You are invited to Triage: set your password",
        body_text=body,
        automatic=True,
        created_by_id=inviter.id if inviter is not None else None,
    )


def set_team(session: Session, user: User, team_id: int | None, actor_id: int | None) -> None:
    if team_id is not None and session.get(Team, team_id) is None:
        raise BadInput(f"no team {team_id}")
    if user.team_id == team_id:
        return
    before, user.team_id = user.team_id, team_id
    session.flush()
    audit.record(session, actor_id, "user.team", "user", user.id, before=before, after=team_id)


def assign_roles(session: Session, user: User, role_ids: list[int], actor_id: int | None) -> None:
    """The roles a line manager co-owns (the only ones she sees); recruiters and admins see all roles."""
    if user.role != UserRole.line_manager and role_ids:
        raise BadInput(f"{user.email} is a {user.role.value}: only line managers are given roles (others see all)")
    roles = list(session.scalars(select(JobRole).where(JobRole.id.in_(role_ids)))) if role_ids else []
    if len(roles) != len(set(role_ids)):
        raise BadInput("one of those roles does not exist")
    before = sorted(r.id for r in user.roles)
    after = sorted(r.id for r in roles)
    if before == after:
        return
    user.roles = roles
    session.flush()
    audit.record(session, actor_id, "user.roles", "user", user.id, before=before, after=after)


def deactivate(session: Session, user: User, actor_id: int | None) -> None:
    """Stop the user: sessions end (session version) and every API token is revoked, now."""
    if actor_id is not None and user.id == actor_id:
        raise BadInput("you cannot deactivate yourself")
    accounts.deactivate(session, user, actor_id)
    live = [t for t in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)) if t.revoked_at is None]
    for token in live:
        accounts.revoke_tokens(session, token_id=token.id, actor_id=actor_id)
