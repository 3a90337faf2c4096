"""The team overview a recruiter opens first on Monday: per role, this week's mail and what it cost people.

"Needed you" counts the week's inbound messages a person had to handle: those placed in Today,
Feedback or Review and not answered by a batch update. Held chasers, FYI and everything a batch
answered did not need anyone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.db import Application, AppStage, Batch, BatchState, Direction, JobRole, Lane, Message, MessageState

OPEN_STAGES = (AppStage.applied, AppStage.screening, AppStage.interviewing, AppStage.interviewed, AppStage.offer)
NEEDS_A_PERSON = (Lane.today, Lane.feedback, Lane.review)
LANES = (Lane.today, Lane.feedback, Lane.held, Lane.fyi, Lane.review)


@dataclass
class RoleWeek:
    role: JobRole | None  # None: messages with no role (unknown senders in Review)
    stages: dict[str, int] = field(default_factory=dict)
    lanes: dict[str, int] = field(default_factory=dict)
    by_batch: int = 0
    personally: int = 0
    overdue: int = 0
    next_batch: Batch | None = None

    @property
    def messages(self) -> int:
        return sum(self.lanes.values())


@dataclass
class Week:
    start: datetime
    rows: list[RoleWeek]
    messages_in: int
    needed_you: int

    @property
    def headline(self) -> str:
        return f"{self.messages_in} message{'s' if self.messages_in != 1 else ''} in, {self.needed_you} needed you"


def week_start(now: datetime) -> datetime:
    """Monday 00:00 UTC of the week holding `now`."""
    monday = now.date() - timedelta(days=now.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=now.tzinfo)


def build(session: Session, roles: list[JobRole], all_roles: bool, now: datetime) -> Week:
    """The week so far for `roles` (and, when `all_roles`, the messages that have no role)."""
    start = week_start(now)
    ids = [r.id for r in roles]
    rows = {
        r.id: RoleWeek(r, stages={s.value: 0 for s in OPEN_STAGES}, lanes={lane.value: 0 for lane in LANES})
        for r in roles
    }
    if all_roles:
        rows[None] = RoleWeek(None, lanes={lane.value: 0 for lane in LANES})
    for role_id, stage, count in session.execute(
        select(Application.role_id, Application.stage, func.count())
        .where(Application.role_id.in_(ids), Application.stage.in_(OPEN_STAGES))
        .group_by(Application.role_id, Application.stage)
    ):
        rows[role_id].stages[stage.value] = count
    this_week = (Message.direction == Direction.inbound, Message.received_at >= start, Message.lane.is_not(None))
    scope = Message.role_id.in_(ids) | Message.role_id.is_(None) if all_roles else Message.role_id.in_(ids)
    needed = 0
    total = 0
    for role_id, lane, state, by_batch, count in session.execute(
        select(Message.role_id, Message.lane, Message.state, Message.answered_by_batch_id.is_not(None), func.count())
        .where(*this_week, scope)
        .group_by(Message.role_id, Message.lane, Message.state, Message.answered_by_batch_id.is_not(None))
    ):
        row = rows.get(role_id)
        if row is None:
            continue
        row.lanes[lane.value] += count
        total += count
        if by_batch or state == MessageState.answered:
            row.by_batch += count
        elif state == MessageState.replied:
            row.personally += count
        if lane in NEEDS_A_PERSON and not by_batch and state != MessageState.answered:
            needed += count
    for role_id, count in session.execute(
        select(Message.role_id, func.count())
        .where(scope, Message.lane == Lane.today, Message.state == MessageState.triaged, Message.due_at < now)
        .group_by(Message.role_id)
    ):
        if role_id in rows:
            rows[role_id].overdue = count
    pending = session.scalars(
        select(Batch)
        .where(Batch.state.in_((BatchState.scheduled, BatchState.draft)), Batch.next_update_on >= now.date())
        .order_by(Batch.scheduled_for.is_(None), Batch.scheduled_for, Batch.next_update_on)
    )
    for batch in pending:
        for role_id in batch.role_ids or []:
            row = rows.get(role_id)
            if row is not None and row.next_batch is None:
                row.next_batch = batch
    ordered = sorted((r for k, r in rows.items() if k is not None), key=lambda r: r.role.reference)
    if None in rows and rows[None].messages:
        ordered.append(rows[None])
    return Week(start, ordered, total, needed)


# --- the chart: one bar per role, this week's messages by lane ------------------------------------------------
COLOURS = {"today": "#c0392b", "feedback": "#d68910", "held": "#2471a3", "fyi": "#7f8c8d", "review": "#8e44ad"}


@dataclass(frozen=True)
class Bar:
    label: str
    y: int
    segments: list[tuple[str, int, int, int]]  # (lane, x, width, count)
    total: int


def chart(week: Week, width: int = 560, bar: int = 18, gap: int = 8, label_width: int = 110) -> dict:
    """Geometry for a server-rendered SVG (the template draws it): stacked bars, one per role."""
    biggest = max((r.messages for r in week.rows), default=0) or 1
    scale = (width - label_width - 40) / biggest
    bars = []
    for i, row in enumerate(week.rows):
        x = label_width
        segments = []
        for lane in LANES:
            count = row.lanes.get(lane.value, 0)
            if count:
                w = max(1, round(count * scale))
                segments.append((lane.value, x, w, count))
                x += w
        bars.append(Bar(row.role.reference if row.role else "no role", i * (bar + gap), segments, row.messages))
    return {
        "bars": bars,
        "width": width,
        "height": max(1, len(bars)) * (bar + gap) + 24,
        "bar": bar,
        "label_width": label_width,
        "colours": COLOURS,
        "legend_y": len(bars) * (bar + gap) + 14,
    }
