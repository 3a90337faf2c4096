"""Users, their sessions and API tokens, and who may see which role."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from triage.accounts import credentials
from triage.accounts.passwords import NO_PASSWORD, check_policy, hash_password, new_token
from triage.db import ApiToken, JobRole, User, UserRole, audit, role_members
from triage.db.base import utcnow
from triage.errors import BadInput, NotFound


def normalize_email(email: str) -> str:
    return email.strip().lower()


def by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise NotFound(f"no user {normalize_email(email)}")
    return user


def create_user(
    session: Session, email: str, name: str, password: str | None, role: UserRole | str, actor_id: int | None = None
) -> User:
    """Make an account; with password None nobody can log in to it until an invitation's link sets one."""
    email = normalize_email(email)
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain or len(email) > 320 or any(c.isspace() for c in email):
        raise BadInput(f"{email!r} is not an email address")
    if session.scalar(select(User).where(User.email == email)):
        raise BadInput(f"a user {email} already exists")
    if password is not None:
        check_policy(password, email)
    password_hash = NO_PASSWORD if password is None else hash_password(password)
    try:
        user = User(email=email, name=name.strip() or email, password_hash=password_hash, role=UserRole(role))
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    session.add(user)
    session.flush()
    audit.record(session, actor_id, "user.create", "user", user.id, email=email, role=str(user.role))
    return user


def has_password(user: User) -> bool:
    """False for an invited account whose link has not been used yet."""
    return user.password_hash != NO_PASSWORD


def end_sessions(user: User) -> None:
    """End every login session of `user` (each carries the version it was opened with)."""
    # In SQL, not in Python: two changes at once still leave a version no session holds.
    user.session_version = User.session_version + 1
    session = object_session(user)
    if session is not None:
        credentials.changed(session)  # and the API tokens every web process remembers


def set_password(session: Session, user: User, password: str, actor_id: int | None = None) -> None:
    """Change the password (checked against the policy) and end the user's sessions."""
    check_policy(password, user.email)
    user.password_hash = hash_password(password)
    end_sessions(user)
    session.flush()
    audit.record(session, actor_id, "user.password", "user", user.id)


def set_role(session: Session, user: User, role: UserRole | str, actor_id: int | None = None) -> None:
    """Give `user` another role; open sessions end, so no page is served under the old one."""
    try:
        role = UserRole(role)
    except ValueError:
        raise BadInput(f"{role!r} is not a role ({', '.join(r.value for r in UserRole)})") from None
    if role == user.role:
        return
    before = user.role
    user.role = role
    end_sessions(user)
    session.flush()
    audit.record(session, actor_id, "user.role", "user", user.id, before=str(before), after=str(role))


def deactivate(session: Session, user: User, actor_id: int | None = None) -> None:
    """Stop `user` from logging in and end the sessions already open (their tokens stop too)."""
    if not user.active:
        return
    user.active = False
    end_sessions(user)
    session.flush()
    audit.record(session, actor_id, "user.deactivate", "user", user.id)


def activate(session: Session, user: User, actor_id: int | None = None) -> None:
    if user.active:
        return
    user.active = True
    session.flush()
    audit.record(session, actor_id, "user.activate", "user", user.id)


def create_token(session: Session, user: User, name: str) -> str:
    """Make an API token for `user`; the clear token is returned once and never stored."""
    token, digest = new_token()
    session.add(ApiToken(user_id=user.id, name=name, token_hash=digest))
    session.flush()
    audit.record(session, user.id, "token.create", "user", user.id, name=name)
    return token


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_tokens(
    session: Session,
    token_id: int | None = None,
    user: User | None = None,
    name: str | None = None,
    actor_id: int | None = None,
) -> list[ApiToken]:
    """Revoke one token by id, or every unrevoked token called `name` of `user`; return those revoked."""
    if token_id is not None:
        query = select(ApiToken).where(ApiToken.id == token_id)
    elif user is not None and name:
        query = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.name == name)
    else:
        raise BadInput("say which token: its id, or the user's email and the token's name")
    rows = [row for row in session.scalars(query.order_by(ApiToken.id)) if row.revoked_at is None]
    if not rows:
        raise NotFound("no such unrevoked token")
    now = utcnow()
    credentials.changed(session)
    for row in rows:
        row.revoked_at = now
        audit.record(session, actor_id, "token.revoke", "api_token", row.id, owner_id=row.user_id, name=row.name)
    session.flush()
    return rows


def visible_role_ids(session: Session, user: User) -> set[int] | None:
    """The roles `user` may see: None means all (admins and recruiters).

    A line manager sees the messages, emails and batches of these roles only: in the web inbox
    and the API alike, never a message with no role (an unknown sender, the Review lane), which
    is the recruiters' to match.
    """
    if user.role in (UserRole.admin, UserRole.recruiter):
        return None
    return set(session.scalars(select(role_members.c.role_id).where(role_members.c.user_id == user.id)))


def can_see_role(session: Session, user: User, role_id: int | None) -> bool:
    """Whether `user` may see a role's objects; role_id None (no role) only for those who see all."""
    visible = visible_role_ids(session, user)
    return visible is None or role_id in visible


def roles_for(session: Session, user: User) -> list[JobRole]:
    query = select(JobRole).order_by(JobRole.reference)
    visible = visible_role_ids(session, user)
    if visible is not None:
        query = query.where(JobRole.id.in_(visible))
    return list(session.scalars(query))
