"""Read-only questions the inbox pages ask the database: lane counts, a timeline, replies, role figures.

One page of a lane or of search results: listing.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from sqlalchemy import String, and_, bindparam, func, literal, or_, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from triage import dates
from triage.db import Application, AppStage, AuditEvent, Message, MessageState, Outbound, User
from triage.db.enums import LANE_NAMES
from triage.inbox.operations import OPEN_STATES

PAGE_SIZE = 50
LANES = tuple((lane.value, name) for lane, name in LANE_NAMES.items())
# Views of messages out of the lanes, to find and bring back: one state each, newest first.
STATE_VIEWS = {"snoozed": "Snoozed", "archived": "Archived"}
# Work queues oldest first (Today: the oldest is the most overdue); informational lanes newest first.
OLDEST_FIRST = {"today", "feedback", "review"}


@dataclass(frozen=True)
class Filters:
    lane: str = "today"
    role_id: int | None = None
    intent: str | None = None
    q: str = ""
    since: date | None = None
    until: date | None = None
    page: int = 1

    @property
    def searching(self) -> bool:
        return bool(self.q)

    def args(self, **changes) -> dict:
        """The query-string form of these filters, for links."""
        values = {
            "lane": self.lane,
            "role": self.role_id,
            "intent": self.intent,
            "q": self.q,
            "since": self.since,
            "until": self.until,
            "page": self.page,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "", 1) or (k == "page" and v != 1)}


@dataclass
class Counts:
    total: dict[str, int] = field(default_factory=lambda: {lane: 0 for lane, _ in LANES})
    by_role: dict[int, dict[str, int]] = field(default_factory=dict)

    def for_role(self, role_id: int) -> dict[str, int]:
        return self.by_role.get(role_id) or {lane: 0 for lane, _ in LANES}


@lru_cache(maxsize=2)
def _count_query(by_visible: bool):
    open_states = [literal(state, Message.state.type, literal_execute=True) for state in OPEN_STATES]
    query = (
        # Conversations, as the lanes list them: one per candidate and role (grouped by role here);
        # a message with no candidate is one of its own (same_conversation).
        select(
            Message.role_id,
            type_coerce(Message.lane, String),
            func.count(func.distinct(func.coalesce(Message.candidate_id, -Message.id))),
        )
        .where(Message.state.in_(open_states), Message.lane.is_not(None))
        .group_by(Message.role_id, Message.lane)
    )
    if by_visible:
        query = query.where(Message.role_id.in_(bindparam("visible", expanding=True)))
    return query


def lane_counts(session: Session, visible: set[int] | None) -> Counts:
    """Open conversations per lane, across the visible roles and per role (one grouped query)."""
    rows = session.execute(
        _count_query(visible is not None), {"visible": sorted(visible)} if visible is not None else {}
    )
    counts = Counts()
    empty = dict.fromkeys(counts.total, 0)
    for role_id, lane, n in rows:
        counts.total[lane] += n
        if role_id is not None:
            counts.by_role.setdefault(role_id, empty.copy())[lane] += n
    return counts


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def same_conversation(other, message) -> ColumnElement[bool]:
    """`other` is in `message`'s conversation: the same candidate about the same role (or both no role).

    A message with no candidate is a conversation of its own: this is never true for it.
    """
    return and_(
        other.candidate_id == message.candidate_id,
        func.coalesce(other.role_id, 0) == func.coalesce(message.role_id, 0),
    )


def failed_messages(session: Session, visible: set[int] | None, limit: int = 50) -> list[Message]:
    """Messages whose processing failed, newest first: Review shows them to admins with a Retry."""
    query = select(Message).where(Message.state == MessageState.failed)
    if visible is not None:
        query = query.where(Message.role_id.in_(visible))
    return list(session.scalars(query.order_by(Message.received_at.desc(), Message.id.desc()).limit(limit)))


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str  # inbound / reply / batch / ack / stage / action
    title: str
    detail: str = ""
    message_id: int | None = None
    outbound: Outbound | None = None


_ACTION_WORDS = {
    "message.archive": "archived",
    "message.snooze": "snoozed",
    "message.move": "moved",
    "message.hold": "held for the next batch update",
    "outbound.reply": "replied",
    "message.reopened": "reopened (the reply was cancelled)",
}


def _visible_outbound(visible: set[int], message_id: int) -> ColumnElement[bool]:
    """The outgoing emails a line manager sees: their roles', and replies to this message with no role."""
    return or_(
        Outbound.role_id.in_(visible),
        and_(Outbound.role_id.is_(None), Outbound.reply_to_message_id == message_id),
    )


def timeline(session: Session, message: Message, visible: set[int] | None) -> list[Event]:
    """Everything that happened with this candidate on this role, oldest first.

    Without an application the candidate's whole history is the timeline, and a candidate who
    applied to several roles writes about each of them: only the roles in `visible` (None: all)
    are shown, and never a message with no role to a line manager (see users.visible_role_ids).
    """
    events: list[Event] = []
    if message.application_id is not None:
        inbound = Message.application_id == message.application_id
        outbound = Outbound.application_id == message.application_id
    elif message.candidate_id is not None:
        inbound = Message.candidate_id == message.candidate_id
        outbound = Outbound.candidate_id == message.candidate_id
    else:
        inbound, outbound = Message.id == message.id, Outbound.reply_to_message_id == message.id
    if visible is not None:
        inbound = and_(inbound, Message.role_id.in_(visible))
        outbound = and_(outbound, _visible_outbound(visible, message.id))
    rows = session.execute(
        select(Message.id, Message.received_at, Message.subject, Message.intent, Message.lane, Message.state)
        .where(inbound)
        .order_by(Message.received_at.desc())
        .limit(200)
    )
    message_ids = []
    for mid, at, subject, intent, lane, state in rows:
        message_ids.append(mid)
        events.append(Event(at, "inbound", subject or "(no subject)", said(intent, lane, state), message_id=mid))
    for out in session.scalars(select(Outbound).where(outbound).order_by(Outbound.created_at.desc()).limit(200)):
        events.append(
            Event(
                out.sent_at or out.created_at,
                out.kind if out.kind in ("batch", "ack") else "reply",
                out.subject,
                str(out.state),
                outbound=out,
            )
        )
    targets = [and_(AuditEvent.target_type == "message", AuditEvent.target_id.in_(message_ids))] if message_ids else []
    if message.application_id is not None and (visible is None or message.application.role_id in visible):
        targets.append(and_(AuditEvent.target_type == "application", AuditEvent.target_id == message.application_id))
    if targets:
        audits = session.execute(
            select(AuditEvent, User.name)
            .outerjoin(User, User.id == AuditEvent.user_id)
            .where(or_(*targets))
            .order_by(AuditEvent.at.desc())
            .limit(200)
        )
        for event, who in audits:
            who = who or "Triage"
            if event.action == "application.stage":
                events.append(
                    Event(
                        event.at,
                        "stage",
                        f"Stage {event.details.get('from_stage')} → {event.details.get('to_stage')}",
                        f"by {who}",
                    )
                )
            elif event.action in _ACTION_WORDS:
                events.append(
                    Event(
                        event.at,
                        "action",
                        f"{_ACTION_WORDS[event.action]} by {who}",
                        _action_detail(event),
                        message_id=event.target_id,
                    )
                )
    events.sort(key=lambda e: e.at)
    return events


LANE_WORDS = dict(LANES)
# A message's state as a recruiter would say it.
STATE_WORDS = {
    "received": "not read yet",
    "triaged": "waiting for us",
    "held": "waiting for the batch update",
    "answered": "answered by a batch update",
    "replied": "replied to",
    "archived": "archived",
    "snoozed": "snoozed",
    "failed": "could not be read",
}

# An open ("triaged") message in these lanes is not waiting for a reply from us.
OPEN_LANE_WORDS = {"fyi": "nothing owed", "review": "waiting for a person to decide"}


def said(intent: str | None, lane: str | None, state: str | None) -> str:
    """A message's intent, lane and state in words: "Asks about status · in Held for batch · waiting…"."""
    what = INTENT_WORDS.get(str(intent), "not classified") if intent else "not classified"
    where = f"in {LANE_WORDS[str(lane)]}" if lane and str(lane) in LANE_WORDS else "in no lane"
    state_words = STATE_WORDS.get(str(state), str(state))
    if str(state) == "triaged" and str(lane) in OPEN_LANE_WORDS:  # FYI owes nothing; Review awaits a decision
        state_words = OPEN_LANE_WORDS[str(lane)]
    return f"{what} · {where} · {state_words}"


INTENT_WORDS = {
    "status_check": "asks for news",
    "feedback_request": "asks for feedback",
    "thank_you": "says thank you",
    "info_response": "answers our question",
    "scheduling": "about scheduling",
    "withdrawal": "withdraws",
    "offer_negotiation": "negotiates the offer",
    "offer_response": "answers the offer",
    "other": "other",
}


def _lane_word(lane: str | None) -> str:
    return LANE_WORDS.get(str(lane), str(lane)) if lane else "no lane"


def _action_detail(event: AuditEvent) -> str:
    d = event.details or {}
    if event.action == "message.move":
        parts = []
        if d.get("from_lane") != d.get("to_lane"):
            parts.append(f"from {_lane_word(d.get('from_lane'))} to {_lane_word(d.get('to_lane'))}")
        if d.get("from_intent") != d.get("to_intent"):
            words = INTENT_WORDS.get(str(d.get("to_intent")), "not classified")
            parts.append(f"now read as “{words}”")
        return ", ".join(parts)
    if event.action == "message.snooze":
        until = d.get("until")
        return f"until {dates.moment(datetime.fromisoformat(until))} UTC" if until else ""
    return ""


def replies_to(session: Session, message_id: int, visible: set[int] | None) -> list[Outbound]:
    """Our replies to one message, oldest first, within the viewer's roles (None: all)."""
    query = select(Outbound).where(Outbound.reply_to_message_id == message_id)
    if visible is not None:
        query = query.where(_visible_outbound(visible, message_id))
    return list(session.scalars(query.order_by(Outbound.created_at)))


def role_overview(session: Session, role_ids: list[int], now: datetime) -> dict[int, dict]:
    """Per role: applications by stage and chasers received in the last 7 days.

    `role_ids` are roles the viewer may see (users.roles_for, or one checked with can_see_role).
    """
    out = {rid: {"stages": {s.value: 0 for s in AppStage}, "chasers_week": 0} for rid in role_ids}
    if not role_ids:
        return out
    for rid, stage, n in session.execute(
        select(Application.role_id, Application.stage, func.count())
        .where(Application.role_id.in_(role_ids))
        .group_by(Application.role_id, Application.stage)
    ):
        out[rid]["stages"][str(stage)] = n
    week = now - timedelta(days=7)
    for rid, n in session.execute(
        select(Message.role_id, func.count())
        .where(Message.role_id.in_(role_ids), Message.is_chaser.is_(True), Message.received_at >= week)
        .group_by(Message.role_id)
    ):
        out[rid]["chasers_week"] = n
    return out
