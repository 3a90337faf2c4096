"""Applicants from an ATS export or the API: check every row, then write all of them or none.

`plan` reads rows into what each will become (a new applicant, an update, no change) and
collects every bad row with its line number and reason; `apply` writes a plan that has no bad
row, in the caller's transaction. The same email for the same role updates its application,
never adds a second one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from triage.accounts.users import normalize_email
from triage.db import Application, ApplicationEvent, AppStage, Candidate, CandidateAddress, JobRole, audit, pgcopy
from triage.db.base import utcnow
from triage.errors import BadInput
from triage.hiring import ats, csvfile
from triage.hiring.export_dates import DAY_FIRST, MONTH_FIRST, NUMERIC_DATE, parse_date

EMAIL = re.compile(r"[^@\s<>(),;:\"\[\]]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+")
CHUNK = 5000  # values per IN (...): few round trips, well under SQLite's 32,766 and PostgreSQL's 65,535 parameters
MAX_ROWS = 50_000


@dataclass
class Row:
    """One applicant as it will be written."""

    line: int
    email: str
    name: str
    stage: AppStage
    ats_stage: str
    applied_at: datetime | None
    interview_at: datetime | None
    rejected_at: datetime | None
    source: str
    action: str = "new"  # new, update, unchanged


@dataclass
class Plan:
    role: JobRole
    ats: str
    rows: list[Row] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    columns: dict[str, str] = field(default_factory=dict)  # field -> the file's column name
    encoding: str = "UTF-8"
    delimiter: str = ","
    kind: str = "column"  # what a person calls a column where the rows came from: "field" for the API's JSON
    date_orders: dict[str, tuple[str, str]] = field(default_factory=dict)  # column -> (DAY_FIRST or MONTH_FIRST, why)

    @property
    def counts(self) -> dict[str, int]:
        out = {"new": 0, "update": 0, "unchanged": 0}
        for row in self.rows:
            out[row.action] += 1
        return out

    @property
    def dates_note(self) -> str:
        """How dates such as 03/11/2026 were read, column by column; empty when the file has none."""
        return "; ".join(
            f"dates in {self.kind} '{column}' read as {order} ({why})"
            for column, (order, why) in self.date_orders.items()
        )

    def label(self, what: str) -> str:
        """A field as the file names it: "column 'Applied At'"."""
        return f"{self.kind} '{self.columns.get(what, what)}'"

    @staticmethod
    def describe(line: int, why: str) -> str:
        """One bad row in words: "line 4, column 'Applied At': ..." or "line 5 has 8 cells, ..."."""
        if why.startswith(("column", "field")):
            return f"line {line}, {why}"
        return f"line {line} {why}" if why.startswith("has ") else f"line {line}: {why}"

    def error_text(self, limit: int = 50) -> str:
        lines = [self.describe(line, why) for line, why in self.errors[:limit]]
        if len(self.errors) > limit:
            lines.append(f"... and {len(self.errors) - limit} more")
        return "\n".join(lines)


DATE_FIELDS = ("applied_at", "interview_at", "rejected_at")


def _cell(cells: list[str], layout: ats.Layout, name: str) -> str:
    index = layout.columns.get(name)
    return cells[index].strip() if index is not None and index < len(cells) else ""


def _date_orders(plan: Plan, rows: list[tuple[int, list[str]]], layout: ats.Layout, day_first: bool) -> dict:
    """Decide once per date column how 03/11/2026 is read: from a value that can only be read one way, else the
    caller's choice. A column with both kinds is an error naming one of each (dates in it are then not compared)."""
    orders: dict[str, bool | None] = {}
    unit = "item" if plan.kind == "field" else "line"
    for what in DATE_FIELDS:
        if what not in layout.columns:
            continue
        only: dict[bool, tuple[int, str]] = {}  # day_first -> the first (line, value) that can only be read so
        slashed = dotted = False
        for line, cells in rows:
            text = _cell(cells, layout, what)
            numeric = NUMERIC_DATE.match(text)
            if numeric is None:
                continue
            if numeric.group(2) == ".":
                dotted = True  # day first by convention: decides nothing for the other forms
                continue
            slashed = True
            first, second = int(numeric.group(1)), int(numeric.group(3))
            if first > 12 >= second:
                only.setdefault(True, (line, text))
            elif second > 12 >= first:
                only.setdefault(False, (line, text))
        column = plan.columns[what]
        if len(only) == 2:
            (day_line, day_text), (month_line, month_text) = only[True], only[False]
            plan.errors.append(
                (
                    max(day_line, month_line),
                    f"{plan.label(what)}: {day_text!r} ({unit} {day_line}) can only be {DAY_FIRST} but {month_text!r} "
                    f"({unit} {month_line}) only {MONTH_FIRST}; write the column's dates in one order",
                )
            )
            orders[what] = None
            continue
        if only:
            order = next(iter(only))
            line, text = only[order]
            why = f"{text} on {unit} {line} can only be read so"
        elif slashed:
            order = day_first
            why = "no date in it decides; day first as asked" if day_first else "no date in it decides; the default"
        elif dotted:
            order, why = True, "dates written with dots are day first"
        else:
            orders[what] = day_first
            continue
        orders[what] = order
        plan.date_orders[column] = (DAY_FIRST if order else MONTH_FIRST, why)
    return orders


def _row(line: int, cells: list[str], layout: ats.Layout, plan: Plan, now: datetime, zone: tzinfo, orders: dict) -> Row:
    email = normalize_email(_cell(cells, layout, "email"))
    if not email:
        raise ValueError(f"{plan.label('email')}: no email address")
    if len(email) > 320 or not EMAIL.fullmatch(email):
        raise ValueError(f"{plan.label('email')}: bad email {email[:60]!r}")
    name = _cell(cells, layout, "name") or " ".join(
        part for part in (_cell(cells, layout, "first_name"), _cell(cells, layout, "last_name")) if part
    )
    if len(name) > 200:
        where = plan.label("name") if "name" in layout.columns else f"{plan.label('first_name')} and last name"
        raise ValueError(f"{where}: the name is longer than 200 characters")
    ats_stage = _cell(cells, layout, "stage")
    stage = ats.stage_of(layout.ats, ats_stage, _cell(cells, layout, "status"))
    if stage is None:
        raise ValueError(
            f"{plan.label('stage')}: " + (f"unknown stage {ats_stage[:40]!r}" if ats_stage else "no stage")
        )
    dates = {
        what: parse_date(_cell(cells, layout, what), plan.label(what), zone, orders.get(what, False))
        for what in DATE_FIELDS
    }
    if dates["applied_at"] is not None and dates["applied_at"] > now:
        raise ValueError(f"{plan.label('applied_at')}: {_cell(cells, layout, 'applied_at')[:40]!r} is in the future")
    source = _cell(cells, layout, "source")[:120]
    return Row(
        line, email, name, stage, ats_stage, dates["applied_at"], dates["interview_at"], dates["rejected_at"], source
    )


REQUIRED = (("email",), ("stage",), ("name", "first_name"))  # each: one of these columns must be in the row


def _width(plan: Plan, line: int, cells: list[str], header: list[str], layout: ats.Layout) -> bool:
    """Whether a row has the header's cells: more (with text) is an unquoted delimiter that shifted every cell
    after it; fewer is fine while the missing cells are optional ones."""
    width = len(header)
    if any(cell.strip() for cell in cells[width:]):
        mark = csvfile.DELIMITER_NAMES.get(plan.delimiter, repr(plan.delimiter))
        plan.errors.append((line, f"has {_cells(cells)}, the header has {width}: a {mark} inside an unquoted cell?"))
        return False
    if len(cells) < width:
        lost = [
            f"'{header[next(layout.columns[n] for n in names if n in layout.columns)]}'"
            for names in REQUIRED
            if not any(layout.columns.get(n, width) < len(cells) for n in names)
        ]
        if lost:
            plan.errors.append(
                (line, f"has {_cells(cells)}, the header has {width}: no {', '.join(lost)} (a line cut in two?)")
            )
            return False
    return True


def _cells(cells: list[str]) -> str:
    return "1 cell" if len(cells) == 1 else f"{len(cells)} cells"


def _read_rows(
    plan: Plan, rows: list[tuple[int, list[str]]], header: list[str], layout: ats.Layout, zone: tzinfo, day_first: bool
) -> None:
    now = utcnow()
    rows = [(line, cells) for line, cells in rows if _width(plan, line, cells, header, layout)]
    orders = _date_orders(plan, rows, layout, day_first)
    for line, cells in rows:
        try:
            plan.rows.append(_row(line, cells, layout, plan, now, zone, orders))
        except ValueError as exc:
            plan.errors.append((line, str(exc)))


def plan_csv(session: Session, data: bytes, role: JobRole, *, zone: tzinfo = UTC, day_first: bool = False) -> Plan:
    """Read an export into a plan; a file that cannot be read at all raises BadInput.

    day_first is how 03/11/2026 is read when no date in its column decides (13/10/2026 can only be day first).
    """
    table = csvfile.read(data)
    layout = ats.detect(table.header)
    if len(table.rows) > MAX_ROWS:
        raise BadInput(f"{len(table.rows):,} rows; import at most {MAX_ROWS:,} at a time")
    plan = Plan(
        role, layout.ats, columns=layout.describe(table.header), encoding=table.encoding, delimiter=table.delimiter
    )
    _read_rows(plan, table.rows, table.header, layout, zone, day_first)
    _classify(session, plan)
    return plan


API_FIELDS = ("email", "name", "stage", "applied_at", "interview_at", "rejected_at", "source")


def plan_records(session: Session, records: object, role: JobRole, *, day_first: bool = False) -> Plan:
    """A plan from JSON objects (the API): the same checks, item numbers in place of lines."""
    if not isinstance(records, list) or not records:
        raise BadInput("applications must be a non-empty list of objects")
    if len(records) > MAX_ROWS:
        raise BadInput(f"at most {MAX_ROWS:,} applications at a time")
    layout = ats.Layout("API", {name: i for i, name in enumerate(API_FIELDS)})
    plan = Plan(role, "API", columns={f: f for f in API_FIELDS}, kind="field")
    rows = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            plan.errors.append((number, "not an object"))
            continue
        unknown = set(record) - set(API_FIELDS) - {"role"}
        values = [record.get(name) for name in API_FIELDS]
        if unknown:
            plan.errors.append((number, f"unknown field(s): {', '.join(sorted(unknown))}"))
            continue
        if not all(v is None or isinstance(v, str) for v in values):
            plan.errors.append((number, "every field is a string"))
            continue
        rows.append((number, [v or "" for v in values]))
    _read_rows(plan, rows, list(API_FIELDS), layout, UTC, day_first)
    _classify(session, plan)
    return plan


def _chunks(items: list, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _classify(session: Session, plan: Plan) -> None:
    """Mark each row new, update or unchanged; a second row for one email is an error."""
    first_line: dict[str, int] = {}
    kept = []
    for row in plan.rows:
        if row.email in first_line:
            plan.errors.append((row.line, f"{row.email} is already on line {first_line[row.email]}"))
        else:
            first_line[row.email] = row.line
            kept.append(row)
    plan.rows = kept
    plan.errors.sort()
    existing = _existing(session, plan.role.id, [r.email for r in kept])
    for row in kept:
        app = existing.get(row.email)
        if app is None:
            row.action = "new"
        elif _changes(app, row):
            row.action = "update"
        else:
            row.action = "unchanged"


def _existing(session: Session, role_id: int, emails: list[str]) -> dict[str, Any]:
    """email -> the role's application as plain columns (id, stage, dates, name, details): no ORM objects to build.

    One query for the whole role (a role has hundreds or thousands of applicants), not one per
    chunk of emails: on freshly loaded PostgreSQL tables with no statistics yet, an IN list joined
    to applications plans as a nested loop over a sequential scan.
    """
    wanted = set(emails)
    columns = (
        Candidate.email,
        Candidate.name,
        Candidate.id.label("candidate_id"),
        Application.id,
        Application.stage,
        Application.applied_at,
        Application.interview_at,
        Application.rejected_at,
        Application.details,
    )
    query = (
        select(*columns).join(Candidate, Candidate.id == Application.candidate_id).where(Application.role_id == role_id)
    )
    found = {row.email: row for row in session.execute(query) if row.email in wanted}
    # The same, by an address merged into the candidate ("same person as …"): one per person, never two.
    merged = (
        select(CandidateAddress.address.label("merged"), *columns)
        .join(Candidate, Candidate.id == CandidateAddress.candidate_id)
        .join(Application, Application.candidate_id == Candidate.id)
        .where(Application.role_id == role_id)
    )
    for row in session.execute(merged):
        if row.merged in wanted and row.merged not in found:
            found[row.merged] = row
    return found


def _changes(app: Any, row: Row) -> dict:
    wanted = {
        "stage": row.stage,
        "applied_at": row.applied_at,
        "interview_at": row.interview_at,
        "rejected_at": row.rejected_at,
    }
    changes = {k: v for k, v in wanted.items() if v is not None and getattr(app, k) != v}
    if row.name and app.name != row.name:
        changes["name"] = row.name
    if row.source and (app.details or {}).get("source") != row.source:
        changes["source"] = row.source
    return changes


def _moment(row: Row, now: datetime) -> datetime:
    """When the row's stage was reached, as well as the export tells."""
    if row.stage in (AppStage.rejected, AppStage.withdrawn) and row.rejected_at:
        return row.rejected_at
    if row.stage in (AppStage.interviewing, AppStage.interviewed) and row.interview_at and row.interview_at <= now:
        return row.interview_at
    return row.applied_at or now


def apply(session: Session, plan: Plan, actor_id: int | None, source: str = "import") -> dict[str, int]:
    """Write a plan with no bad row (BadInput otherwise); the caller commits once for the whole file."""
    if plan.errors:
        raise BadInput(f"{len(plan.errors)} bad row(s); nothing imported:\n{plan.error_text()}")
    now = utcnow()
    role_id = plan.role.id
    new = [r for r in plan.rows if r.action == "new"]
    # Core executemany, not ORM objects: 10,000 rows in a few seconds on SQLite and PostgreSQL.
    connection = session.connection()
    candidates: dict[str, int] = {}
    for part in _chunks([r.email for r in new]):
        candidates.update(_ids_by_email(connection, part))
    missing = [r for r in new if r.email not in candidates]
    if missing:
        _insert(
            connection, Candidate, [{"email": r.email, "name": r.name, "created_at": now} for r in missing], "email"
        )
        for part in _chunks([r.email for r in missing]):
            candidates.update(_ids_by_email(connection, part))
    if new:
        _insert(
            connection,
            Application,
            [
                {
                    "candidate_id": candidates[r.email],
                    "role_id": role_id,
                    "stage": r.stage,
                    "applied_at": r.applied_at or now,
                    "interview_at": r.interview_at,
                    "rejected_at": r.rejected_at,
                    "stage_changed_at": _moment(r, now),
                    "last_update_asked": False,
                    "details": {"source": r.source} if r.source else {},
                }
                for r in new
            ],
            'candidate_id", "role_id',
        )
    existing = _existing(session, role_id, [r.email for r in plan.rows])
    events = []
    for row in plan.rows:
        current = existing[row.email]
        if row.action == "new":
            events.append(_event(current.id, row, now, actor_id, source))
            if row.name and not current.name:  # a sender we met by mail before, now named by the ATS
                session.get(Candidate, current.candidate_id).name = row.name
        elif row.action == "update":
            changes = _changes(current, row)
            app = session.get(Application, current.id)
            if "name" in changes:
                app.candidate.name = row.name
            if "source" in changes:
                app.details = {**(app.details or {}), "source": row.source}
            for key in ("applied_at", "interview_at", "rejected_at"):
                if key in changes:
                    setattr(app, key, changes[key])
            if "stage" in changes:
                app.stage = row.stage
                app.stage_changed_at = _moment(row, now)
                events.append(_event(app.id, row, now, actor_id, source))
    session.flush()
    if events:
        _insert(connection, ApplicationEvent, events, "id")
    counts = plan.counts
    audit.record(session, actor_id, "applicants.import", "job_role", role_id, ats=plan.ats, source=source, **counts)
    return counts


def _ids_by_email(connection: Connection, emails: list[str]) -> dict[str, int]:
    found = {
        email: id_
        for email, id_ in connection.execute(select(Candidate.email, Candidate.id).where(Candidate.email.in_(emails)))
    }
    # An address merged into a candidate ("same person as …") is that candidate, not a new one.
    rest = [e for e in emails if e not in found]
    if rest:
        merged = select(CandidateAddress.address, CandidateAddress.candidate_id).where(
            CandidateAddress.address.in_(rest)
        )
        found.update(dict(connection.execute(merged).all()))
    return found


def _insert(connection: Connection, model: type, rows: list[dict], conflict: str) -> None:
    """Insert many rows: COPY on PostgreSQL (conflict: the unique columns a racing import may have filled), else
    one executemany."""
    if connection.dialect.name == "postgresql":
        pgcopy.insert_new(connection, model.__table__, rows, conflict, ["id"])
    else:
        connection.execute(insert(model), rows)


def _event(application_id: int, row: Row, now: datetime, actor_id: int | None, source: str) -> dict:
    return {
        "application_id": application_id,
        "kind": "stage",
        "stage": row.stage,
        "at": _moment(row, now),
        "interview_at": row.interview_at,
        "channel": None,
        "asked": False,
        "note": f"from {row.ats_stage}"[:500] if row.ats_stage and row.ats_stage.lower() != row.stage.value else "",
        "source": source,
        "user_id": actor_id,
        "recorded_at": now,
    }
