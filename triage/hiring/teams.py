"""Teams and their policy: which team a person means, and changing its settings (validated, audited)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.db import Team, User, audit
from triage.errors import BadInput, NotFound
from triage.processing import policy

MAX_ID = 2**31 - 1  # ids are PostgreSQL integer columns: a bigger number is a name, not an id


def create(session: Session, name: str, actor_id: int | None) -> Team:
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 120:
        raise BadInput("a team's name is 1 to 120 characters")
    if session.scalar(select(Team).where(func.lower(Team.name) == name.lower())):
        raise BadInput(f"a team {name} already exists")
    team = Team(name=name, policy={})
    session.add(team)
    session.flush()
    audit.record(session, actor_id, "team.create", "team", team.id, name=name)
    return team


def find(session: Session, user: User, key: str | int | None) -> Team:
    """The team `key` (id or name), else the user's own team, else the only team there is."""
    if key not in (None, ""):
        text = str(key).strip()
        is_id = text.isascii() and text.isdigit() and len(text) <= 10 and int(text) <= MAX_ID
        team = session.get(Team, int(text)) if is_id else None
        team = team or session.scalar(select(Team).where(func.lower(Team.name) == text.lower()))
        if team is None:
            raise NotFound(f"no team {text[:120]}")
        return team
    if user.team_id is not None:
        return session.get(Team, user.team_id)
    teams = list(session.scalars(select(Team).order_by(Team.name).limit(21)))
    if len(teams) == 1:
        return teams[0]
    if not teams:
        raise NotFound("there is no team yet: create one first")
    raise BadInput(f"say which team (team=ID or name): {', '.join(t.name for t in teams[:20])}")


def set_policy(session: Session, team: Team, data: object, actor_id: int | None) -> bool:
    """Replace the team's settings (keys left out take their defaults); PolicyErrors names each bad key.

    Routing reads the policy when it routes a message, so the change applies to mail that arrives after it.
    """
    stored = policy.check(data)
    before = dict(team.policy or {})
    if stored == before:
        return False
    team.policy = stored
    session.flush()
    changed = {
        key: {"before": before.get(key), "after": stored.get(key)}
        for key in sorted(set(before) | set(stored))
        if before.get(key) != stored.get(key)
    }
    audit.record(session, actor_id, "team.policy", "team", team.id, changes=changed)
    return True
