"""Invitations: a new team member sets their own password through a link mailed to them.

An admin invites someone (the admin's People page or `triage users invite`): the account is made
without a password, so nobody can log in to it, and an invitation row is issued. The link carries
an itsdangerous token (the app's secret key, a salt of its own) naming the row and a random secret;
the row keeps only the secret's SHA-256. A link works once, until the row's `expires_at`; sending a
new one retires the earlier ones, so only the newest link of a person works.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from triage.accounts import users
from triage.db import User, audit
from triage.db.base import utcnow
from triage.db.people import Invitation
from triage.errors import BadInput

SALT = "triage.invitation"
LINK_DAYS = 7  # how long an invitation link works


class LinkProblem(BadInput):
    """An invitation link that cannot be used; `reason` is invalid, expired, used or replaced."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(
    session: Session, secret_key: str, user: User, actor_id: int | None, now: datetime | None = None
) -> tuple[Invitation, str]:
    """A new link for `user` (earlier ones stop working); return the row and the token for the URL."""
    if users.has_password(user):
        raise BadInput(f"{user.email} has already set a password: they log in as usual")
    if not user.active:
        raise BadInput(f"{user.email} is deactivated: reactivate them first")
    now = now or utcnow()
    session.execute(
        update(Invitation)
        .where(Invitation.user_id == user.id, Invitation.used_at.is_(None), Invitation.retired_at.is_(None))
        .values(retired_at=now)
    )
    secret = secrets.token_urlsafe(32)
    row = Invitation(
        user_id=user.id,
        secret_hash=_digest(secret),
        created_at=now,
        expires_at=now + timedelta(days=LINK_DAYS),
        created_by_id=actor_id,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor_id, "invitation.send", "user", user.id, invitation=row.id)
    return row, _serializer(secret_key).dumps({"id": row.id, "secret": secret})


def check(session: Session, secret_key: str, token: str, now: datetime | None = None) -> Invitation:
    """The invitation a link names, if it can still set a password; else LinkProblem saying why."""
    try:
        data = _serializer(secret_key).loads(token)
    except BadSignature:
        raise LinkProblem("invalid", "This invitation link is not valid: check that it was copied whole.") from None
    if not isinstance(data, dict) or not isinstance(data.get("id"), int) or not isinstance(data.get("secret"), str):
        raise LinkProblem("invalid", "This invitation link is not valid: check that it was copied whole.")
    row = session.get(Invitation, data["id"])
    if row is None or not hmac.compare_digest(row.secret_hash, _digest(data["secret"])):
        raise LinkProblem("invalid", "This invitation link is not valid: check that it was copied whole.")
    if row.used_at is not None:
        raise LinkProblem("used", "This invitation link has already been used to set a password: log in instead.")
    if row.retired_at is not None:
        raise LinkProblem("replaced", "A newer invitation was sent after this one: use the link in the latest email.")
    if not row.user.active:
        raise LinkProblem("invalid", "This account has been deactivated; ask an admin.")
    if (now or utcnow()) >= row.expires_at:
        raise LinkProblem(
            "expired",
            f"This invitation link expired on {row.expires_at:%d %b %Y at %H:%M} UTC. "
            "Ask an admin to send you a new one.",
        )
    return row


def accept(session: Session, secret_key: str, token: str, password: str, now: datetime | None = None) -> User:
    """Set the invited person's password (the usual policy) and use the link up; the caller commits."""
    now = now or utcnow()
    row = check(session, secret_key, token, now)
    user = row.user
    users.set_password(session, user, password, actor_id=user.id)
    # Compare-and-swap: of two submissions of one link at once, only one sets the password.
    used = session.execute(
        update(Invitation)
        .where(Invitation.id == row.id, Invitation.used_at.is_(None), Invitation.retired_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        raise LinkProblem("used", "This invitation link has already been used to set a password: log in instead.")
    session.refresh(row)
    audit.record(session, user.id, "invitation.accept", "user", user.id, invitation=row.id)
    return user


def latest(session: Session, user_ids: list[int] | None = None) -> dict[int, Invitation]:
    """Each person's newest invitation (of `user_ids`, or of everyone)."""
    query = select(Invitation).order_by(Invitation.id)
    if user_ids is not None:
        query = query.where(Invitation.user_id.in_(user_ids))
    return {row.user_id: row for row in session.scalars(query)}


def status(row: Invitation, now: datetime | None = None) -> str:
    """In words an admin reads: accepted, waiting or expired (a retired row is never a newest one)."""
    if row.used_at is not None:
        return "accepted"
    return "expired" if (now or utcnow()) >= row.expires_at else "waiting"
