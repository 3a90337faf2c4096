"""Demo setup: two hiring teams, 8 roles, about 100 applicants per role at realistic stages."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.accounts import users as accounts
from triage.db import Application, AppStage, Candidate, JobRole, Team, User

TEAMS = {
    "Engineering hiring": {
        "recruiter": ("Priya Shah", "priya.shah@triage.localhost"),
        "managers": [
            ("Tom Becker", "tom.becker@acme-corp.example", ["REQ-1042", "REQ-1045"]),
            ("Ana Lima", "ana.lima@acme-corp.example", ["REQ-1043", "REQ-1044"]),
        ],
        "roles": [
            ("REQ-1042", "Senior Backend Engineer"),
            ("REQ-1043", "Data Analyst"),
            ("REQ-1044", "Product Designer"),
            ("REQ-1045", "QA Engineer"),
        ],
    },
    "Operations hiring": {
        "recruiter": ("Marcus Reid", "marcus.reid@triage.localhost"),
        "managers": [
            ("Helen Okafor", "helen.okafor@acme-corp.example", ["REQ-2031", "REQ-2034"]),
            ("Jonas Weber", "jonas.weber@acme-corp.example", ["REQ-2032", "REQ-2033"]),
        ],
        "roles": [
            ("REQ-2031", "Warehouse Supervisor"),
            ("REQ-2032", "Customer Success Manager"),
            ("REQ-2033", "Payroll Specialist"),
            ("REQ-2034", "Registered Nurse"),
        ],
    },
}

FIRST = (
    "Aisha Ben Carlos Dana Elif Farid Grace Hiro Ines Jamal Kemi Liam Mei Nadia Omar Pia Quinn Rosa "
    "Sanjay Tara Uche Vera Wei Ximena Yusuf Zoe Adrian Bea Chidi Dmitri Emma Femi Gita Hugo Ivana "
    "Jorge Kaito Lena Mateo Noor Olga Pavel Rhea Sofia Tomasz Ulla Viktor Wanjiru Yara"
).split()
LAST = (
    "Adeyemi Brown Chen Dubois Eriksen Fernandes Garcia Haddad Ito Jansen Kowalski Lopez Mensah "
    "Novak Okoro Patel Quispe Rossi Silva Tanaka Usman Varga Wright Xu Yilmaz Zhang Ahmed Bauer "
    "Costa Diallo Evans Fischer Gupta Hughes Ivanova Jones Kim Larsen Murphy Nguyen"
).split()

# Each demo team's Team.policy (keys: triage.processing.policy).
POLICY = {"waiting_window_days": 14, "acknowledge_chasers": True}

# Share of a role's applicants at each stage (a pipeline a few weeks after the role opened).
STAGES = [
    (AppStage.applied, 30),
    (AppStage.screening, 15),
    (AppStage.interviewing, 12),
    (AppStage.interviewed, 18),
    (AppStage.offer, 3),
    (AppStage.hired, 1),
    (AppStage.rejected, 19),
    (AppStage.withdrawn, 2),
]


@dataclass
class Request:
    """Our email asking an applicant for something (triage.demo.past): their answer threads under it."""

    message_id: str
    subject: str
    answer: str  # the applicant's answer: a text with {role} {ref} {name} {first}


@dataclass
class Applicant:
    application_id: int
    name: str
    email: str
    role_reference: str
    role_title: str
    stage: AppStage
    applied_at: datetime
    interview_at: datetime | None
    rejected_at: datetime | None
    asked: bool  # we asked them for something: triage.demo.past writes that email and sets `request`
    request: Request | None = None


def build(
    session: Session, rng: random.Random, now: datetime, password: str, per_role: int = 100
) -> tuple[list[Applicant], dict[str, str]]:
    """Create teams, users, roles and applications; return the applicants and manager emails by role."""
    applicants: list[Applicant] = []
    managers: dict[str, str] = {}
    used: set[str] = set()
    for team_name, spec in TEAMS.items():
        team = Team(name=team_name, policy=dict(POLICY))
        session.add(team)
        session.flush()
        name, email = spec["recruiter"]
        recruiter = _user(session, email, name, password, "recruiter", team)
        roles = {}
        for reference, title in spec["roles"]:
            role = JobRole(
                reference=reference,
                title=title,
                owner=recruiter,
                team=team,
                next_update_on=_working_day((now + timedelta(days=rng.randint(2, 6))).date()),
            )
            session.add(role)
            roles[reference] = role
        for name, email, refs in spec["managers"]:
            manager = _user(session, email, name, password, "line_manager", team)
            manager.roles.extend(roles[r] for r in refs)
            managers.update({r: email for r in refs})
        session.flush()
        for role in roles.values():
            for stage in _stages(rng, per_role):
                applicants.append(_applicant(session, rng, now, role, stage, used))
    return applicants, managers


def _user(session, email, name, password, role, team) -> User:
    existing = session.scalar(select(User).where(User.email == email))
    user = existing or accounts.create_user(session, email, name, password, role)
    user.team_id = team.id
    return user


def _stages(rng: random.Random, count: int) -> list[AppStage]:
    population = [stage for stage, share in STAGES for _ in range(share)]
    return [rng.choice(population) for _ in range(count)]


def _applicant(session, rng, now, role, stage, used) -> Applicant:
    while True:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        domain = rng.choice(["gmail.com", "outlook.com", "yahoo.com", "proton.me", "icloud.com"])
        email = f"{first}.{last}{rng.randint(1, 99)}@{domain}".lower()
        if email not in used:
            used.add(email)
            break
    applied = now - timedelta(days=rng.randint(20, 45), hours=rng.randint(0, 23))
    interview = None
    if stage in (AppStage.interviewing, AppStage.interviewed, AppStage.offer, AppStage.hired):
        interview = applied + timedelta(days=rng.randint(7, 18), hours=rng.randint(1, 8))
    rejected = applied + timedelta(days=rng.randint(5, 25)) if stage == AppStage.rejected else None
    asked = stage == AppStage.screening and rng.random() < 0.6
    candidate = Candidate(email=email, name=f"{first} {last}", created_at=applied)
    application = Application(
        candidate=candidate,
        role=role,
        stage=stage,
        applied_at=applied,
        interview_at=interview,
        rejected_at=rejected,
        stage_changed_at=applied,
    )
    session.add(application)
    session.flush()
    return Applicant(
        application.id, candidate.name, email, role.reference, role.title, stage, applied, interview, rejected, asked
    )


def _working_day(day: date) -> date:
    """The day, or the Monday after it: a team promises its updates on working days."""
    return day + timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)
