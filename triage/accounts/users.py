"""Users, logins, API tokens and who may see which role."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from triage.accounts.passwords import hash_password, needs_rehash, new_token, verify_password
from triage.config import Settings
from triage.db import ApiToken, JobRole, LoginFailure, User, UserRole, audit, role_members
from triage.db.base import utcnow
from triage.errors import BadInput, Forbidden


class Throttled(Forbidden):
    """Too many failed logins for this address or e-mail; try again later."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: Session, email: str, name: str, password: str, role: UserRole | str, actor_id: int | None = None
) -> User:
    email = normalize_email(email)
    if "@" not in email:
        raise BadInput(f"{email!r} is not an email address")
    if session.scalar(select(User).where(User.email == email)):
        raise BadInput(f"a user {email} already exists")
    try:
        user = User(email=email, name=name.strip() or email, password_hash=hash_password(password), role=UserRole(role))
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    session.add(user)
    session.flush()
    audit.record(session, actor_id, "user.create", "user", user.id, email=email, role=str(user.role))
    return user


def authenticate(session: Session, settings: Settings, email: str, password: str, remote_addr: str) -> User | None:
    """Return the user for a correct login; record failures; raise Throttled when over the limit."""
    email = normalize_email(email)
    since = utcnow() - timedelta(seconds=settings.login_window_seconds)
    failures = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.at >= since, (LoginFailure.email == email) | (LoginFailure.remote_addr == remote_addr))
    )
    if failures >= settings.login_max_attempts:
        raise Throttled("too many failed logins; try again in a few minutes")
    user = session.scalar(select(User).where(User.email == email))
    if user is None or not user.active or not verify_password(user.password_hash if user else None, password):
        session.add(LoginFailure(email=email, remote_addr=remote_addr))
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    audit.record(session, user.id, "user.login", "user", user.id)
    return user


def create_token(session: Session, user: User, name: str) -> str:
    """Make an API token for `user`; the clear token is returned once and never stored."""
    token, digest = new_token()
    session.add(ApiToken(user_id=user.id, name=name, token_hash=digest))
    session.flush()
    audit.record(session, user.id, "token.create", "user", user.id, name=name)
    return token


def visible_role_ids(session: Session, user: User) -> set[int] | None:
    """The roles `user` may see: None means all (admins and recruiters)."""
    if user.role in (UserRole.admin, UserRole.recruiter):
        return None
    return set(session.scalars(select(role_members.c.role_id).where(role_members.c.user_id == user.id)))


def can_see_role(session: Session, user: User, role_id: int) -> bool:
    visible = visible_role_ids(session, user)
    return visible is None or role_id in visible


def roles_for(session: Session, user: User) -> list[JobRole]:
    query = select(JobRole).order_by(JobRole.reference)
    visible = visible_role_ids(session, user)
    if visible is not None:
        query = query.where(JobRole.id.in_(visible))
    return list(session.scalars(query))
