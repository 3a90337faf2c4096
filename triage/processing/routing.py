"""Intent + history -> lane and reasons (pure: no I/O, no database, no clock).

The rules live here; their numbers (waiting and chaser windows, the Today clock, the Review
threshold) are the team's TeamPolicy (triage/processing/policy.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from triage import dates
from triage.db.enums import AppStage, Intent, Lane
from triage.processing.policy import TeamPolicy

DEFAULT_POLICY = TeamPolicy()  # a team with no settings


class ContactKind(StrEnum):
    REPLY = "reply"
    BATCH = "batch"


def _require_aware(name: str, value: datetime | None) -> None:
    """Raise ValueError unless value is None or a timezone-aware datetime."""
    if value is None:
        return
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (got naive {value.isoformat()})")


@dataclass(frozen=True)
class History:
    """What we know about the application at routing time (events may postdate the message)."""

    stage: AppStage | None = None  # None: no matching application
    applied_at: datetime | None = None
    interviewed_at: datetime | None = None
    rejected_at: datetime | None = None
    last_contact_at: datetime | None = None  # our last outbound: personal reply or batch update
    last_contact_kind: ContactKind | None = None
    last_contact_asked: bool = False  # our last outbound asked the candidate for something
    earlier_status_checks: tuple[datetime, ...] = ()

    def __post_init__(self) -> None:
        if self.stage is not None:
            object.__setattr__(self, "stage", AppStage(self.stage))
        if self.last_contact_kind is not None:
            object.__setattr__(self, "last_contact_kind", ContactKind(self.last_contact_kind))
        object.__setattr__(self, "earlier_status_checks", tuple(self.earlier_status_checks))
        for name in ("applied_at", "interviewed_at", "rejected_at", "last_contact_at"):
            _require_aware(name, getattr(self, name))
        for i, when in enumerate(self.earlier_status_checks):
            _require_aware(f"earlier_status_checks[{i}]", when)
        if self.last_contact_at is None and (self.last_contact_kind or self.last_contact_asked):
            raise ValueError("last_contact_kind/last_contact_asked need last_contact_at")


# A reply this soon after our ask, carrying files or links or thanking for the task, is the
# answer we were waiting for (a take-home takes days; a fortnight covers a slow reference).
ANSWER_WINDOW = timedelta(days=14)


def _require_probability(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")


@dataclass(frozen=True)
class Signal:
    """The incoming message, as classified and matched."""

    intent: Intent
    confidence: float
    received_at: datetime
    auto_reply: bool = False
    sender_known: bool = True
    role_matched: bool = True
    # P(the message needs an answer from us) and the model's threshold for it: at or above it a
    # message the intent alone would file under FYI or Held goes to Review (a buried answer costs
    # more than a glance). None: no such figure (an older model), the intent alone decides.
    must_answer: float | None = None
    must_answer_threshold: float = 1.0
    urgency: str | None = None  # the urgency detector's reason ("mentions a competing offer ...")
    attachments: int = 0
    links: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "intent", Intent(self.intent))
        _require_probability("confidence", self.confidence)
        if self.must_answer is not None:
            _require_probability("must_answer", self.must_answer)
        _require_probability("must_answer_threshold", self.must_answer_threshold)
        for name in ("attachments", "links"):
            n = getattr(self, name)
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {n!r}")
        if not isinstance(self.received_at, datetime):
            raise ValueError("received_at must be a timezone-aware datetime")
        _require_aware("received_at", self.received_at)


@dataclass(frozen=True)
class Decision:
    lane: Lane
    reasons: tuple[str, ...]
    due_at: datetime | None = None  # only for Today
    is_chaser: bool = False
    withdraws: bool = False  # caller moves the application to withdrawn and audits it


def format_duration(span: timedelta) -> str:
    """Say a non-negative span in its largest whole unit, rounded down: "3 days", "5 h"."""
    if span < timedelta(0):
        raise ValueError(f"duration must not be negative, got {span}")
    # Rounded down so "13 days" is always inside a 14-day window and "14 days" never is.
    if span >= timedelta(days=1):
        days = span.days
        return f"{days} day" if days == 1 else f"{days} days"
    if span >= timedelta(hours=1):
        return f"{span.seconds // 3600} h"
    if span >= timedelta(minutes=1):
        return f"{span.seconds // 60} min"
    return "under 1 min"


def ordinal(n: int) -> str:
    """Return 1st, 2nd, 3rd, 4th, 11th, 21st..."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _day(when: datetime, now: datetime) -> str:
    """Say a date as "3 Nov" in its own time zone, with the year when it differs from now's."""
    text = dates.short_day(when)
    return text if when.year == now.year else f"{text} {when.year}"


def _due_text(span: timedelta) -> str:
    # Recruiters think of the Today clock in hours ("24 h"), not "1 day".
    if span <= timedelta(hours=72) and span % timedelta(hours=1) == timedelta(0):
        return f"{span // timedelta(hours=1)} h"
    return format_duration(span)


def _confidence_text(confidence: float, threshold: float) -> str:
    # Enough digits that the shown numbers differ, so "0.55 < 0.55" never appears.
    digits = 2
    while digits < 17 and f"{confidence:.{digits}f}" == f"{threshold:.{digits}f}":
        digits += 1
    return f"low confidence ({confidence:.{digits}f} < {threshold:.{digits}f})"


def _earlier_checks(history: History, received_at: datetime, policy: TeamPolicy) -> list[datetime]:
    # Strictly before the message (a check logged later arrived later), and strictly
    # inside the chaser window, matching the waiting window's "less than 14 days".
    return sorted(
        t for t in history.earlier_status_checks if t < received_at and received_at - t < policy.chaser_window
    )


def chaser_count(history: History, received_at: datetime, policy: TeamPolicy = DEFAULT_POLICY) -> int:
    """Count the candidate's status checks in the chaser window, including one at received_at."""
    _require_aware("received_at", received_at)
    return len(_earlier_checks(history, received_at, policy)) + 1


# How each kind of contact reads in "... 3 days ago" and in "(... on 3 Nov)".
_SINCE = {
    "interview": "interview",
    ContactKind.REPLY: "last reply from us",
    ContactKind.BATCH: "last update from us",
    None: "last message from us",
}
_ON = {
    "interview": "interview",
    ContactKind.REPLY: "personal reply",
    ContactKind.BATCH: "batch update",
    None: "message from us",
}


def _last_contact(history: History, received_at: datetime) -> tuple[datetime, object] | None:
    """Return our latest contact at or before received_at and its kind, or None."""
    events = []
    if history.interviewed_at is not None and history.interviewed_at <= received_at:
        events.append((history.interviewed_at, "interview"))
    if history.last_contact_at is not None and history.last_contact_at <= received_at:
        events.append((history.last_contact_at, history.last_contact_kind))
    return max(events, key=lambda e: e[0]) if events else None


def _after_rejection(history: History, received_at: datetime) -> bool:
    if history.stage is AppStage.rejected:
        return True
    return history.rejected_at is not None and history.rejected_at <= received_at


def _rejection_reason(intent: Intent, history: History, received_at: datetime) -> str:
    what = "feedback request" if intent is Intent.feedback_request else "status check"
    if history.rejected_at is None:
        return f"{what} after rejection"
    if history.rejected_at > received_at:
        return (
            f"{what} sent before the rejection on {_day(history.rejected_at, received_at)}; "
            "the application is now rejected"
        )
    return f"{what} after rejection on {_day(history.rejected_at, received_at)}"


def _route_status_check(signal: Signal, history: History, policy: TeamPolicy) -> Decision:
    now = signal.received_at
    earlier = _earlier_checks(history, now, policy)
    contact = _last_contact(history, now)
    if contact is not None:
        anchor, kind = contact
        since = f"{_SINCE[kind]} {format_duration(now - anchor)} ago"
        anchor_text = f"our last contact ({_ON[kind]} on {_day(anchor, now)})"
    elif history.applied_at is not None and history.applied_at <= now:
        anchor = history.applied_at
        since = f"no contact from us since applying {format_duration(now - anchor)} ago"
        anchor_text = f"applying on {_day(anchor, now)}, with no contact from us"
    else:
        anchor, since, anchor_text = None, "no contact from us on record", ""

    if earlier:
        nth = ordinal(len(earlier) + 1)
        reason = f"{nth} follow-up in {format_duration(now - earlier[0])}; {since}"
        return Decision(Lane.held, (reason,), is_chaser=True)
    if anchor is not None and now - anchor < policy.waiting_window:
        reason = (
            f"status check {format_duration(now - anchor)} after {anchor_text}; inside "
            f"the waiting window of {format_duration(policy.waiting_window)}"
        )
        return Decision(Lane.held, (reason,), is_chaser=True)
    if anchor is None:
        reason = "status check with no contact or application date on record; no earlier chasing"
    else:
        reason = f"status check {format_duration(now - anchor)} after {anchor_text}; no earlier chasing"
    return Decision(Lane.feedback, (reason,))


_TODAY_WHAT = {
    Intent.scheduling: "about scheduling",
    Intent.offer_negotiation: "negotiates the offer",
    Intent.offer_response: "responds to our offer",
}


def _open_ask(history: History, received_at: datetime) -> datetime | None:
    """When our last outbound asked for something and the message came inside its window: that date."""
    # Only an ask sent before the message can be what it answers.
    asked_at = history.last_contact_at
    if not history.last_contact_asked or asked_at is None or not asked_at <= received_at < asked_at + ANSWER_WINDOW:
        return None
    return asked_at


def _info_text(history: History, received_at: datetime) -> str:
    asked_at = _open_ask(history, received_at)
    if asked_at is None:
        return "sends information (no open request from us)"
    return f"answers our request of {_day(asked_at, received_at)}"


def _answers_ask(signal: Signal, history: History) -> str | None:
    """The reason when the message is the answer to our open ask, else None.

    Files or links sent inside the ask's window are the answer whatever the text says (a
    take-home submission reads like a thank-you); so is thanking for the task."""
    asked_at = _open_ask(history, signal.received_at)
    if asked_at is None:
        return None
    sends = []
    if signal.attachments:
        sends.append("an attachment" if signal.attachments == 1 else f"{signal.attachments} attachments")
    if signal.links:
        sends.append("a link" if signal.links == 1 else f"{signal.links} links")
    if sends:
        return f"answers our request of {_day(asked_at, signal.received_at)} (sends {' and '.join(sends)})"
    if signal.intent in (Intent.info_response, Intent.thank_you):
        return f"answers our request of {_day(asked_at, signal.received_at)}"
    return None


def _must_answer_review(signal: Signal, decision: Decision) -> Decision:
    """Send a decision that would bury a likely must-answer message to Review instead."""
    p, threshold = signal.must_answer, signal.must_answer_threshold
    if decision.lane not in (Lane.fyi, Lane.held) or p is None or p < threshold:
        return decision
    reason = (
        f"may need an answer ({p:.0%} likely; Review from {threshold:.0%}) though it reads as "
        f"{signal.intent.value.replace('_', ' ')}; "
        f"otherwise: {decision.reasons[0]}"
    )
    return Decision(Lane.review, (reason,))


def _route_withdrawal(history: History) -> Decision:
    if history.stage is None:
        return Decision(Lane.fyi, ("candidate withdraws; no matching application to update",))
    # Hired and rejected are outcomes we recorded; a withdrawal note must not overwrite them.
    if history.stage in (AppStage.withdrawn, AppStage.hired, AppStage.rejected):
        reason = f"candidate withdraws; application already {history.stage.value}, stage unchanged"
        return Decision(Lane.fyi, (reason,))
    return Decision(Lane.fyi, ("candidate withdraws; application moves to withdrawn",), withdraws=True)


def decide(signal: Signal, history: History, policy: TeamPolicy = DEFAULT_POLICY) -> Decision:
    """Place one message in a lane, with the reasons in words."""
    now = signal.received_at
    review = []
    if not signal.sender_known:
        review.append("unknown sender")
    if not signal.role_matched:
        review.append("no matching role")
    if review:
        if signal.confidence < policy.confidence_threshold:
            review.append(_confidence_text(signal.confidence, policy.confidence_threshold))
        return Decision(Lane.review, tuple(review))
    if signal.auto_reply:  # an out-of-office with a logo attached answers nothing
        return _by_intent(signal, history, policy)
    # Urgency and an answered ask do not depend on the intent, so an unsure intent changes nothing:
    # Today, never held (so never acknowledged as a chaser nor closed by a batch update).
    first = "; ".join(r for r in (_answers_ask(signal, history), signal.urgency) if r)
    if first:
        due = f"reply due in {_due_text(policy.today_due)}"
        return Decision(Lane.today, (f"{first}; {due}",), due_at=now + policy.today_due)
    return _must_answer_review(signal, _by_intent(signal, history, policy))


def _by_intent(signal: Signal, history: History, policy: TeamPolicy) -> Decision:
    now, intent = signal.received_at, signal.intent
    review = []
    if signal.confidence < policy.confidence_threshold:
        review.append(_confidence_text(signal.confidence, policy.confidence_threshold))
    if review:
        return Decision(Lane.review, tuple(review))

    if signal.auto_reply:
        return Decision(Lane.fyi, ("automatic reply",))

    if intent in (Intent.feedback_request, Intent.status_check) and _after_rejection(history, now):
        return Decision(Lane.feedback, (_rejection_reason(intent, history, now),))

    if intent is Intent.status_check and history.stage in (AppStage.withdrawn, AppStage.hired):
        # No role update will answer it (it writes to open stages), and an acknowledgement would
        # promise one: a person replies.
        reason = f"status check though the application is {history.stage.value}; a batch update will not answer it"
        return Decision(Lane.feedback, (reason,))

    if intent is Intent.status_check:
        return _route_status_check(signal, history, policy)

    if intent is Intent.info_response or intent in _TODAY_WHAT:
        what = _info_text(history, now) if intent is Intent.info_response else _TODAY_WHAT[intent]
        reason = f"{what}; reply due in {_due_text(policy.today_due)}"
        return Decision(Lane.today, (reason,), due_at=now + policy.today_due)

    if intent is Intent.feedback_request:
        stage = history.stage.value if history.stage else "no matching application"
        reason = f"feedback request, no rejection on record (stage: {stage})"
        return Decision(Lane.feedback, (reason,))

    if intent is Intent.withdrawal:
        return _route_withdrawal(history)

    if intent is Intent.thank_you:
        return Decision(Lane.fyi, ("thank-you note; nothing owed",))
    return Decision(Lane.fyi, ("nothing asked of us (other)",))
