"""A team member's other forwarding addresses: registered by the member, verified by a signed link.

Mail forwarded from a verified address is unwrapped as if the member had forwarded it from their
login address; what was forwarded from it before, and waits in Review asking for the address to
be registered, goes through the pipeline again once it is confirmed. The link is an itsdangerous
token (the app's secret key, a salt of its own, a time limit) naming the row and the address, so
a link for an address that was removed, or re-registered by someone else, proves nothing.
"""

from __future__ import annotations

from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from triage.db import Lane, Message, MessageState, User, audit
from triage.db.base import utcnow
from triage.db.people import ForwardingAddress
from triage.errors import BadInput, NotFound

SALT = "triage.forwarding-address"
LINK_DAYS = 3  # how long a confirmation link works
MAX_PER_USER = 10


def normalize(address: str) -> str:
    """The address as it is stored and compared: trimmed, brackets dropped, lower-case."""
    return (address or "").strip().strip("<>").strip().lower()


def register(session: Session, user: User, address: str) -> ForwardingAddress:
    """Add an unverified forwarding address for `user`; the caller mails the link and commits."""
    address = normalize(address)
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain or len(address) > 320 or any(c.isspace() for c in address):
        raise BadInput(f"{address!r} is not an email address")
    if address == user.email.lower():
        raise BadInput("that is already your login address")
    if session.scalar(select(User.id).where(User.email == address)):
        raise BadInput("that address belongs to another user")
    existing = session.scalar(select(ForwardingAddress).where(ForwardingAddress.email == address))
    if existing is not None:
        if existing.user_id != user.id:
            raise BadInput("that address is registered by another team member")
        return existing  # asking again sends a new link
    if len(addresses_of(session, user)) >= MAX_PER_USER:
        raise BadInput(f"at most {MAX_PER_USER} forwarding addresses per person")
    row = ForwardingAddress(user_id=user.id, email=address)
    session.add(row)
    session.flush()
    audit.record(session, user.id, "forwarding.register", "forwarding_address", row.id)
    return row


def addresses_of(session: Session, user: User) -> list[ForwardingAddress]:
    return list(
        session.scalars(
            select(ForwardingAddress).where(ForwardingAddress.user_id == user.id).order_by(ForwardingAddress.id)
        )
    )


def remove(session: Session, user: User, address_id: int) -> None:
    row = session.get(ForwardingAddress, address_id)
    if row is None or row.user_id != user.id:
        raise NotFound(f"no forwarding address {address_id}")
    session.delete(row)
    audit.record(session, user.id, "forwarding.remove", "forwarding_address", address_id)


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def confirmation_token(secret_key: str, row: ForwardingAddress) -> str:
    """The signed token of the link mailed to the address."""
    return _serializer(secret_key).dumps({"id": row.id, "email": row.email})


def confirm(
    session: Session, secret_key: str, token: str, *, max_age_days: int = LINK_DAYS, now: datetime | None = None
) -> ForwardingAddress:
    """Mark the address a token names as verified; BadInput when the link is wrong, old or stale."""
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age_days * 86400)
    except SignatureExpired:
        raise BadInput("this confirmation link has expired; ask for a new one") from None
    except BadSignature:
        raise BadInput("this confirmation link is not valid") from None
    row = session.get(ForwardingAddress, data.get("id")) if isinstance(data, dict) else None
    if row is None or row.email != data.get("email"):
        raise BadInput("this confirmation link is for an address that is no longer registered")
    if row.verified_at is None:
        row.verified_at = now or utcnow()
        audit.record(session, row.user_id, "forwarding.verify", "forwarding_address", row.id)
    return row


def verified(session: Session) -> dict[str, int]:
    """Every verified forwarding address of an active user, with the user's id (the pipeline's team)."""
    rows = session.execute(
        select(ForwardingAddress.email, ForwardingAddress.user_id)
        .join(User, User.id == ForwardingAddress.user_id)
        .where(ForwardingAddress.verified_at.is_not(None), User.active.is_(True))
    ).all()
    return {email: user_id for email, user_id in rows}


def route_again(session: Session, row: ForwardingAddress) -> list[int]:
    """Put the Review messages sent from a confirmed address back to `received`; return their ids.

    Forwarded before the address was confirmed, they wait in Review ("looks like a forward from …");
    now they are the member's forwards and the pipeline unwraps them. The caller commits, then enqueues.
    """
    ids = list(
        session.scalars(
            select(Message.id).where(
                Message.from_address == row.email,
                Message.lane == Lane.review,
                Message.state.in_((MessageState.triaged, MessageState.failed)),
            )
        )
    )
    if ids:
        session.execute(
            update(Message)
            .where(Message.id.in_(ids))
            .values(state=MessageState.received, lane=None)
            .execution_options(synchronize_session=False)
        )
        audit.record(session, row.user_id, "forwarding.route_again", "forwarding_address", row.id, ids=ids[:500])
    return ids
