"""Who a batch writes to: the chosen roles × stages, less whom the frequency cap skips.

A candidate gets at most one batch update per role every N days (team policy
"batch_every_days", default 7; see triage.processing.policy) unless the recruiter overrides it;
suppressed and unusable addresses are skipped too, each skip counted under its reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from triage.db import Application, AppStage, Candidate, JobRole
from triage.db.base import utcnow
from triage.errors import BadInput, NotFound
from triage.outbound import mime, outbox
from triage.processing.policy import TeamPolicy

EVERY_DAYS = TeamPolicy().batch_every_days  # the default cadence
SKIP_RECENT = "had a batch update for this role in the last {days} days"
SKIP_SUPPRESSED = "address refused our mail before (suppressed)"
SKIP_BAD_ADDRESS = "email address cannot be used"


def every_days(role: JobRole) -> int:
    """How many days apart a candidate may get this role's batch updates (its team's policy)."""
    return TeamPolicy.of(role).batch_every_days


@dataclass
class Selection:
    applications: list[Application]
    skipped: Counter = field(default_factory=Counter)
    # reason -> who, as "Name <address>": a recruiter sees whom the batch leaves out, not only how many
    skipped_who: dict[str, list[str]] = field(default_factory=dict)

    def skip(self, application: Application, reason: str) -> None:
        self.skipped[reason] += 1
        candidate = application.candidate
        self.skipped_who.setdefault(reason, []).append(f"{candidate.name or '(no name)'} <{candidate.email}>")


def check_choice(session: Session, role_ids: list[int], stages: list[str]) -> list[JobRole]:
    """The chosen roles, once the choice of roles and stages is known to be usable."""
    if not role_ids:
        raise BadInput("choose at least one role")
    if not stages:
        raise BadInput("choose at least one stage")
    bad = [s for s in stages if s not in AppStage.__members__]
    if bad:
        raise BadInput(f"unknown stage(s): {', '.join(bad)} (known: {', '.join(AppStage.__members__)})")
    roles = list(session.scalars(select(JobRole).where(JobRole.id.in_(role_ids))))
    missing = set(role_ids) - {r.id for r in roles}
    if missing:
        raise NotFound(f"no role(s) {', '.join(map(str, sorted(missing)))}")
    return roles


def select_recipients(
    session: Session, role_ids: list[int], stages: list[str], *, override: bool = False, now: datetime | None = None
) -> Selection:
    """The applications a batch would write to, and how many it skips and why."""
    now = now or utcnow()
    roles = {r.id: r for r in check_choice(session, role_ids, stages)}
    applications = list(
        session.scalars(
            select(Application)
            .join(Candidate)
            .where(Application.role_id.in_(list(roles)), Application.stage.in_(stages))
            .options(contains_eager(Application.candidate))  # from the join: no second query
            .order_by(Application.role_id, Candidate.name, Application.id)
            .execution_options(populate_existing=True)
        )
    )  # bulk updates elsewhere bypass the identity map
    selection = Selection([])
    suppressed = outbox.suppressed_among(session, [a.candidate.email for a in applications])
    for application in applications:
        role = roles[application.role_id]
        days = every_days(role)
        if not override and application.last_batch_at and application.last_batch_at > now - timedelta(days=days):
            selection.skip(application, SKIP_RECENT.format(days=days))
        elif application.candidate.email.lower() in suppressed:
            selection.skip(application, SKIP_SUPPRESSED)
        else:
            try:
                mime.check_address(application.candidate.email)
            except mime.BadAddress:
                selection.skip(application, SKIP_BAD_ADDRESS)
                continue
            application.role = role
            selection.applications.append(application)
    return selection
