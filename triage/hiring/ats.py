"""The candidate exports of Greenhouse, Lever, Workable and Teamtailor: their columns and stage names.

A file's columns are matched by name (case, spaces and underscores ignored); the format is the
ATS whose signature columns are present, which only decides which stage names are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from triage.db import AppStage
from triage.errors import BadInput

FIELDS = (
    "name",
    "first_name",
    "last_name",
    "email",
    "stage",
    "status",
    "applied_at",
    "interview_at",
    "rejected_at",
    "source",
)

# Column names each field is known by in the four exports (and in plain hand-made files).
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "candidate name", "candidate"),
    "first_name": ("first name", "firstname", "given name"),
    "last_name": ("last name", "lastname", "surname", "family name"),
    "email": ("email", "email address", "email addresses", "e-mail", "emails", "candidate email"),
    "stage": ("stage", "current stage", "application stage", "job stage", "stage name", "pipeline stage"),
    "status": ("application status", "status", "disqualified", "archive reason", "archived reason"),
    "applied_at": (
        "applied at",
        "applied on",
        "applied date",
        "application date",
        "date applied",
        "applied",
        "created at",
        "created at (gmt)",
        "created",
        "created date",
        "applied at (gmt)",
    ),
    "interview_at": (
        "interview date",
        "interview at",
        "interview",
        "next interview",
        "interview scheduled at",
        "scheduled interview",
        "interview at (gmt)",
    ),
    "rejected_at": (
        "rejected on",
        "rejected at",
        "rejection date",
        "archived at",
        "archived at (gmt)",
        "disqualified at",
        "disqualified on",
        "disqualified date",
    ),
    "source": ("source", "sources", "origin", "source name", "sourced from"),
}

# Which export a file is, from columns only that ATS writes.
SIGNATURES: dict[str, tuple[str, ...]] = {
    "Greenhouse": ("current stage", "application status", "email addresses"),
    "Lever": ("opportunity id", "posting", "archive reason", "origin"),
    "Workable": ("disqualified", "disqualified at", "disqualification reason"),
    "Teamtailor": ("connected at", "job stage", "sourced", "teamtailor id"),
}

# Stage names as each ATS ships them (lower case), and the names our own export uses.
COMMON = {s.value: s for s in AppStage} | {
    "new": AppStage.applied,
    "new applicant": AppStage.applied,
    "application review": AppStage.applied,
    "applied": AppStage.applied,
    "sourced": AppStage.applied,
    "screen": AppStage.screening,
    "phone screen": AppStage.screening,
    "recruiter screen": AppStage.screening,
    "interview": AppStage.interviewing,
    "interview scheduled": AppStage.interviewing,
    "offer": AppStage.offer,
    "hired": AppStage.hired,
    "rejected": AppStage.rejected,
    "withdrawn": AppStage.withdrawn,
    "withdrew": AppStage.withdrawn,
}
STAGES: dict[str, dict[str, AppStage]] = {
    "Greenhouse": {
        "preliminary phone screen": AppStage.screening,
        "take home test": AppStage.screening,
        "face to face": AppStage.interviewing,
        "onsite interview": AppStage.interviewing,
        "technical interview": AppStage.interviewing,
        "hiring manager interview": AppStage.interviewing,
        "reference check": AppStage.interviewed,
        "offer stage": AppStage.offer,
    },
    "Lever": {
        "new lead": AppStage.applied,
        "reached out": AppStage.applied,
        "responded": AppStage.applied,
        "on-site interview": AppStage.interviewing,
        "onsite interview": AppStage.interviewing,
        "reference check": AppStage.interviewed,
    },
    "Workable": {
        "assessment": AppStage.screening,
        "phone screen": AppStage.screening,
    },
    "Teamtailor": {
        "inbox": AppStage.applied,
        "screening": AppStage.screening,
        "phone interview": AppStage.screening,
        "in process": AppStage.interviewing,
    },
}
# A status column overrides the stage: Greenhouse's "Rejected", Workable's disqualified flag, Lever's archive reason.
STATUS_STAGE = {
    "rejected": AppStage.rejected,
    "hired": AppStage.hired,
    "true": AppStage.rejected,  # Workable: Disqualified = true
    "yes": AppStage.rejected,
    "withdrew": AppStage.withdrawn,
    "withdrawn": AppStage.withdrawn,
    "candidate withdrew": AppStage.withdrawn,
}
STATUS_IGNORED = {"", "active", "false", "no", "prospect", "converted"}


def _key(name: str) -> str:
    return re.sub(r"[\s_]+", " ", name.strip().strip('"').lower())


@dataclass(frozen=True)
class Layout:
    """Which column holds each field, and which ATS the file came from."""

    ats: str
    columns: dict[str, int]

    def describe(self, header: list[str]) -> dict[str, str]:
        return {field: header[index] for field, index in self.columns.items()}


def detect(header: list[str]) -> Layout:
    """Find the fields in a header; BadInput naming what is missing."""
    keys = [_key(h) for h in header]
    columns: dict[str, int] = {}
    for field in FIELDS:
        for alias in ALIASES[field]:
            if alias in keys:
                columns[field] = keys.index(alias)
                break
    scores = {name: sum(m in keys for m in marks) for name, marks in SIGNATURES.items()}
    best = max(scores, key=scores.get)
    ats = best if scores[best] else "plain CSV"
    missing = []
    if "email" not in columns:
        missing.append("email")
    if "name" not in columns and "first_name" not in columns:
        missing.append("name (or first and last name)")
    if "stage" not in columns:
        missing.append("stage")
    if missing:
        seen = ", ".join(h for h in header if h) or "none"
        raise BadInput(f"missing column(s): {'; '.join(missing)}. Columns in the file: {seen[:300]}")
    return Layout(ats, columns)


def stage_of(ats: str, stage: str, status: str) -> AppStage | None:
    """Our stage for an ATS's stage name and status, or None when the name is unknown."""
    by_status = STATUS_STAGE.get(_key(status))
    if by_status is not None:
        return by_status
    if _key(status) not in STATUS_IGNORED and ats == "Lever":
        return AppStage.rejected  # any other archive reason ("Underqualified", "Position filled"...) is a rejection
    name = _key(stage)
    return STAGES.get(ats, {}).get(name) or COMMON.get(name)
