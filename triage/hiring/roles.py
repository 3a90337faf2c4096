"""Create, edit, close and reopen roles: title, requisition reference, team, recruiter and line managers.

Every change is audited. The reference is what the per-role address pins (jobs+REQ-1042@), so
it must fit in an email address and be unique ignoring case (matching reads it lower-cased).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.accounts.users import normalize_email
from triage.db import JobRole, Team, User, UserRole, audit
from triage.errors import BadInput, NotFound

REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
FIELDS = ("reference", "title", "team", "owner", "line_managers", "open")


class RoleErrors(BadInput):
    """Bad role fields: `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {why}" for field, why in errors.items()))


@dataclass
class RoleChange:
    """Cleaned fields (only those given); None for team/owner means "none"."""

    values: dict


def find(session: Session, key: str | int) -> JobRole:
    """A role by id or by reference (any case)."""
    if isinstance(key, int) or (isinstance(key, str) and key.isascii() and key.isdigit() and len(key) <= 10):
        role = session.get(JobRole, int(key)) if 0 < int(key) < 2**31 else None
        if role is not None:
            return role
    role = session.scalar(select(JobRole).where(func.lower(JobRole.reference) == str(key).strip().lower()))
    if role is None:
        raise NotFound(f"no role {str(key)[:60]}")
    return role


def _user(session: Session, key: object, field: str, kinds: Iterable[UserRole]) -> User:
    if isinstance(key, bool):
        raise ValueError("must be a user id or email")
    if isinstance(key, int) or (isinstance(key, str) and key.isascii() and key.strip().isdigit() and len(key) <= 10):
        user = session.get(User, int(key)) if 0 < int(key) < 2**31 else None
    elif isinstance(key, str):
        user = session.scalar(select(User).where(User.email == normalize_email(key)))
    else:
        raise ValueError("must be a user id or email")
    if user is None:
        raise ValueError(f"no user {str(key)[:60]}")
    if not user.active:
        raise ValueError(f"{user.email} is deactivated")
    if user.role not in kinds:
        raise ValueError(f"{user.email} is a {user.role.value.replace('_', ' ')}")
    return user


def clean(session: Session, data: dict, role: JobRole | None = None) -> dict:
    """Check the given fields (all of FIELDS on create); raise RoleErrors naming each bad one."""
    errors: dict[str, str] = {}
    values: dict = {}
    unknown = set(data) - set(FIELDS)
    if unknown:
        errors["fields"] = f"unknown: {', '.join(sorted(unknown))} (known: {', '.join(FIELDS)})"
    if role is None:
        for field in ("reference", "title"):
            if not data.get(field):
                errors[field] = "required"
    if data.get("reference"):
        ref = data["reference"].strip() if isinstance(data["reference"], str) else None
        if ref is None or not REFERENCE.fullmatch(ref):
            errors["reference"] = "letters, digits, '.', '_' or '-' (it goes in an address: jobs+REQ-1042@), at most 40"
        else:
            clash = session.scalar(select(JobRole).where(func.lower(JobRole.reference) == ref.lower()))
            if clash is not None and clash is not role:
                errors["reference"] = f"{clash.reference} is already a role ({clash.title})"
            values["reference"] = ref
    if data.get("title") is not None and "title" not in errors:
        title = data["title"].strip() if isinstance(data["title"], str) else ""
        if not title or len(title) > 200:
            errors["title"] = "required, at most 200 characters"
        values["title"] = title
    if "team" in data:
        team = data["team"]
        if team in (None, ""):
            values["team"] = None
        elif not isinstance(team, str) or len(team.strip()) > 120:
            errors["team"] = "a team name of at most 120 characters"
        else:
            values["team"] = team.strip()
    if "owner" in data:
        try:
            owner = data["owner"]
            values["owner"] = (
                None if owner in (None, "") else _user(session, owner, "owner", (UserRole.recruiter, UserRole.admin))
            )
        except ValueError as exc:
            errors["owner"] = f"{exc} (the owner is a recruiter or an admin)"
    if "line_managers" in data:
        given = data["line_managers"]
        if isinstance(given, str):
            given = [part for part in re.split(r"[,\s]+", given) if part]
        if not isinstance(given, list):
            errors["line_managers"] = "a list of user ids or emails"
        else:
            try:
                values["line_managers"] = [_user(session, k, "line_managers", (UserRole.line_manager,)) for k in given]
            except ValueError as exc:
                errors["line_managers"] = f"{exc} (only line managers)"
    if "open" in data:
        if not isinstance(data["open"], bool):
            errors["open"] = "true or false"
        values["open"] = data["open"]
    if errors:
        raise RoleErrors(errors)
    return values


def _team(session: Session, name: str | None, actor_id: int | None) -> Team | None:
    if name is None:
        return None
    team = session.scalar(select(Team).where(func.lower(Team.name) == name.lower()))
    if team is None:
        team = Team(name=name, policy={})
        session.add(team)
        session.flush()
        audit.record(session, actor_id, "team.create", "team", team.id, name=name)
    return team


def _describe(role: JobRole) -> dict:
    return {
        "reference": role.reference,
        "title": role.title,
        "team": role.team.name if role.team else None,
        "owner": role.owner_id,
        "line_managers": sorted(u.id for u in role.members),
        "open": role.is_open,
    }


def _apply(session: Session, role: JobRole, values: dict, actor_id: int | None) -> None:
    if "reference" in values:
        role.reference = values["reference"]
    if "title" in values:
        role.title = values["title"]
    if "team" in values:
        role.team = _team(session, values["team"], actor_id)
    if "owner" in values:
        role.owner = values["owner"]
    if "line_managers" in values:
        role.members = list(values["line_managers"])
    if "open" in values:
        role.is_open = values["open"]


def create(session: Session, data: dict, actor_id: int | None) -> JobRole:
    """Make a role from its fields (reference and title required); audited."""
    values = clean(session, data)
    role = JobRole(reference=values["reference"], title=values["title"], is_open=True)
    session.add(role)
    _apply(session, role, values, actor_id)
    session.flush()
    audit.record(session, actor_id, "role.create", "job_role", role.id, **_describe(role))
    return role


def edit(session: Session, role: JobRole, data: dict, actor_id: int | None) -> bool:
    """Change the given fields; False (and nothing audited) when nothing changed."""
    values = clean(session, data, role)
    before = _describe(role)
    _apply(session, role, values, actor_id)
    session.flush()
    after = _describe(role)
    changed = {k: {"before": before[k], "after": after[k]} for k in after if before[k] != after[k]}
    if not changed:
        return False
    action = "role.edit"
    if set(changed) == {"open"}:
        action = "role.reopen" if role.is_open else "role.close"
    audit.record(session, actor_id, action, "job_role", role.id, changes=changed)
    return True


def set_open(session: Session, role: JobRole, is_open: bool, actor_id: int | None) -> bool:
    """Close (False) or reopen (True) a role; False when it already was."""
    return edit(session, role, {"open": is_open}, actor_id)


def may_manage(user: User) -> bool:
    """Admins and recruiters create and change roles; line managers only see theirs."""
    return user.role in (UserRole.admin, UserRole.recruiter)
