"""Who: users and their tokens, teams, job roles, candidates and their applications."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from triage.db.base import Base, utcnow
from triage.db.enums import AppStage, UserRole
from triage.db.types import Json, Moment, words

role_members = Table(
    "role_members",
    Base.metadata,
    Column("role_id", ForeignKey("job_roles.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Team(Base):
    """A hiring team; its policy (waiting window, batch frequency...) applies to its roles."""

    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    policy: Mapped[dict] = mapped_column(Json, default=dict)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[UserRole] = mapped_column(words(UserRole))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(Moment, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(Moment)
    # Part of every login session; bumping it (logout, password or role change, deactivation)
    # ends all of this user's sessions, copied cookies included.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # After archive, snooze or Send, the inbox opens the next conversation (the person's own choice).
    advance_after_action: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    roles: Mapped[list[JobRole]] = relationship(secondary=role_members, back_populates="members")

    @property
    def is_admin(self) -> bool:
        return self.role == UserRole.admin


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(Moment, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(Moment)
    revoked_at: Mapped[datetime | None] = mapped_column(Moment)

    user: Mapped[User] = relationship()


class ForwardingAddress(Base):
    """Another address a team member forwards candidate mail from (a private or old work address).

    It counts as the member's own only once verified (`verified_at`): the link mailed to it was opened.
    """

    __tablename__ = "forwarding_addresses"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # normalized: lower-case
    created_at: Mapped[datetime] = mapped_column(Moment, default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(Moment)

    user: Mapped[User] = relationship()


class Invitation(Base):
    """A link that lets an invited person set their own password: signed, expiring, used once.

    Only the SHA-256 of the link's random secret is kept. Sending a new link retires the earlier
    ones (`retired_at`), so only the newest works; `used_at` is set once, when the password is set.
    """

    __tablename__ = "invitations"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(Moment, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(Moment)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    used_at: Mapped[datetime | None] = mapped_column(Moment)
    retired_at: Mapped[datetime | None] = mapped_column(Moment)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class LoginFailure(Base):
    """Recent failed logins of one key (an account or a client address), shared by every web process.

    One row per key, changed by compare-and-swap, so parallel guesses cannot all slip under the limit.
    """

    __tablename__ = "login_failures"
    key: Mapped[str] = mapped_column(String(400), primary_key=True)  # "account:<email>" / "address:<ip>"
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime] = mapped_column(Moment, default=utcnow)
    blocked_until: Mapped[datetime | None] = mapped_column(Moment)
    __table_args__ = (Index("ix_login_failures_last_failed_at", "last_failed_at"),)


class JobRole(Base):
    __tablename__ = "job_roles"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)  # e.g. REQ-1042
    title: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    next_update_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(Moment, default=utcnow)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    team: Mapped[Team | None] = relationship()
    members: Mapped[list[User]] = relationship(secondary=role_members, back_populates="roles")


class Candidate(Base):
    __tablename__ = "candidates"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # normalized: lower-case
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(Moment, default=utcnow)

    applications: Mapped[list[Application]] = relationship(back_populates="candidate")

    @property
    def first_name(self) -> str:
        return (self.name or self.email.split("@")[0]).split()[0]


class CandidateAddress(Base):
    """Another address a candidate writes from (a personal Gmail next to the ATS's), matched like their own.

    `address` is nullable only so that an erasure can blank it (to NULL, several of which never clash).
    """

    __tablename__ = "candidate_addresses"
    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    address: Mapped[str | None] = mapped_column(String(320), unique=True)  # normalized: lower-case
    created_at: Mapped[datetime] = mapped_column(Moment, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Application(Base):
    """A candidate applying to a role, with the dates the routing policy needs."""

    __tablename__ = "applications"
    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"))
    role_id: Mapped[int] = mapped_column(ForeignKey("job_roles.id", ondelete="CASCADE"))
    stage: Mapped[AppStage] = mapped_column(words(AppStage), default=AppStage.applied)
    applied_at: Mapped[datetime] = mapped_column(Moment, default=utcnow)
    interview_at: Mapped[datetime | None] = mapped_column(Moment)
    rejected_at: Mapped[datetime | None] = mapped_column(Moment)
    last_update_at: Mapped[datetime | None] = mapped_column(Moment)  # our last mail to them
    last_update_kind: Mapped[str | None] = mapped_column(String(20))  # reply / batch / ack
    last_update_asked: Mapped[bool] = mapped_column(Boolean, default=False)
    last_batch_at: Mapped[datetime | None] = mapped_column(Moment)
    stage_changed_at: Mapped[datetime] = mapped_column(Moment, default=utcnow)
    details: Mapped[dict] = mapped_column(Json, default=dict)

    candidate: Mapped[Candidate] = relationship(back_populates="applications")
    role: Mapped[JobRole] = relationship()
    __table_args__ = (
        UniqueConstraint("candidate_id", "role_id", name="uq_applications_candidate_role"),
        Index("ix_applications_role_stage", "role_id", "stage"),
    )
