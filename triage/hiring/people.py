"""People on a hiring team: invite a recruiter or line manager, give them roles, deactivate them.

An invitation makes the account with a generated password shown once to the admin, who passes it
on; the new user changes it after logging in. Deactivation ends the user's sessions and revokes
their API tokens in the same transaction.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.accounts import users as accounts
from triage.db import ApiToken, JobRole, Team, User, UserRole, audit
from triage.errors import BadInput


def invite(
    session: Session,
    email: str,
    name: str,
    kind: str,
    actor_id: int | None,
    team_id: int | None = None,
    role_ids: list[int] = (),
) -> tuple[User, str]:
    """Create the account; return it and its one-time password (never stored in clear)."""
    password = secrets.token_urlsafe(12)  # 16 characters from 96 bits: passes the password policy
    user = accounts.create_user(session, email, name, password, kind, actor_id=actor_id)
    if team_id is not None:
        set_team(session, user, team_id, actor_id)
    if role_ids:
        assign_roles(session, user, role_ids, actor_id)
    return user, password


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
