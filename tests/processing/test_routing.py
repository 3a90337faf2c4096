"""Routing policy: intent + history -> lane and reasons, as tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.db.enums import AppStage, Intent, Lane
from triage.processing.policy import TeamPolicy
from triage.processing.routing import (
    ContactKind,
    Decision,
    History,
    Signal,
    chaser_count,
    decide,
    format_duration,
    ordinal,
)

UTC = UTC
PST = timezone(timedelta(hours=-8))
CET = timezone(timedelta(hours=1))
DAY, HOUR, SEC = timedelta(days=1), timedelta(hours=1), timedelta(seconds=1)

INTERVIEW = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
MSG = datetime(2025, 11, 19, 9, 0, tzinfo=UTC)  # 16 days after the interview
REJECTED = datetime(2025, 11, 12, 15, 0, tzinfo=UTC)
WINDOW = TeamPolicy().waiting_window


def sig(intent: str = "status_check", at: datetime = MSG, **kw) -> Signal:
    kw.setdefault("confidence", 0.9)
    return Signal(intent=intent, received_at=at, **kw)


def hist(**kw) -> History:
    kw.setdefault("stage", "interviewed")
    kw.setdefault("applied_at", datetime(2025, 10, 1, 12, 0, tzinfo=UTC))
    kw.setdefault("interviewed_at", INTERVIEW)
    return History(**kw)


def case(id_, signal, history, lane, *reasons, policy=TeamPolicy(), due=None, chaser=False, withdraws=False):
    expected = Decision(Lane(lane), tuple(reasons), due_at=due, is_chaser=chaser, withdraws=withdraws)
    return pytest.param(signal, history, policy, expected, id=id_)


HELD_AFTER_INTERVIEW = (
    "status check {} after our last contact (interview on 3 Nov); inside the waiting window of 14 days"
)
FEEDBACK_AFTER_INTERVIEW = "status check {} after our last contact (interview on 3 Nov); no earlier chasing"

REVIEW = [
    case("unknown-sender", sig(sender_known=False), hist(), "review", "unknown sender"),
    case("no-matching-role", sig(role_matched=False), hist(), "review", "no matching role"),
    case(
        "low-confidence",
        sig(confidence=0.41),
        hist(),
        "review",
        "low confidence (0.41 < 0.55)",
        policy=TeamPolicy(confidence_threshold=0.55),
    ),
    case(
        "low-confidence-shows-enough-digits",
        sig(confidence=0.549),
        hist(),
        "review",
        "low confidence (0.549 < 0.550)",
        policy=TeamPolicy(confidence_threshold=0.55),
    ),
    case(
        "confidence-at-threshold-is-accepted",
        sig("thank_you", confidence=0.55),
        hist(),
        "fyi",
        "thank-you note; nothing owed",
        policy=TeamPolicy(confidence_threshold=0.55),
    ),
    case(
        "all-three-review-reasons",
        sig(sender_known=False, role_matched=False, confidence=0.2),
        hist(),
        "review",
        "unknown sender",
        "no matching role",
        "low confidence (0.20 < 0.50)",
    ),
    case(
        "unknown-sender-beats-auto-reply-and-today",
        sig("offer_negotiation", sender_known=False, auto_reply=True),
        hist(),
        "review",
        "unknown sender",
    ),
    case(
        "unknown-sender-beats-rejection",
        sig("feedback_request", sender_known=False),
        hist(stage="rejected", rejected_at=REJECTED),
        "review",
        "unknown sender",
    ),
]

AUTO_REPLY = [
    case(
        "auto-reply-beats-info-response",
        sig("info_response", auto_reply=True),
        hist(last_contact_at=MSG - DAY, last_contact_asked=True),
        "fyi",
        "automatic reply",
    ),
    case(
        "auto-reply-beats-rejection",
        sig(auto_reply=True),
        hist(stage="rejected", rejected_at=REJECTED),
        "fyi",
        "automatic reply",
    ),
]

REJECTION = [
    case(
        "feedback-request-after-rejection",
        sig("feedback_request"),
        hist(stage="rejected", rejected_at=REJECTED),
        "feedback",
        "feedback request after rejection on 12 Nov",
    ),
    case(
        "status-check-after-rejection-inside-window",
        sig(at=REJECTED + DAY),
        hist(stage="rejected", rejected_at=REJECTED, last_contact_at=REJECTED, last_contact_kind="reply"),
        "feedback",
        "status check after rejection on 12 Nov",
    ),
    case(
        "rejected-stage-without-date",
        sig("feedback_request"),
        hist(stage="rejected"),
        "feedback",
        "feedback request after rejection",
    ),
    case(
        "rejected-date-before-stage-caught-up",
        sig(),
        hist(rejected_at=REJECTED),
        "feedback",
        "status check after rejection on 12 Nov",
    ),
    case(
        "rejection-after-message-but-stage-rejected",
        sig(at=REJECTED - DAY),
        hist(stage="rejected", rejected_at=REJECTED),
        "feedback",
        "status check sent before the rejection on 12 Nov; the application is now rejected",
    ),
    case(
        "rejection-after-message-stage-not-rejected-is-ignored",
        sig(at=INTERVIEW + 3 * DAY),
        hist(rejected_at=REJECTED),
        "held",
        HELD_AFTER_INTERVIEW.format("3 days"),
        chaser=True,
    ),
    case(
        "scheduling-after-rejection-is-still-today",
        sig("scheduling"),
        hist(stage="rejected", rejected_at=REJECTED),
        "today",
        "about scheduling; reply due in 24 h",
        due=MSG + 24 * HOUR,
    ),
]

STATUS_CHECK = [
    case(
        "inside-window-after-interview",
        sig(at=INTERVIEW + 3 * DAY),
        hist(),
        "held",
        HELD_AFTER_INTERVIEW.format("3 days"),
        chaser=True,
    ),
    case("after-window-no-chasing", sig(), hist(), "feedback", FEEDBACK_AFTER_INTERVIEW.format("16 days")),
    # The boundary: "inside" means strictly less than the window, so exactly 14 days is outside.
    case(
        "window-minus-1s-is-inside",
        sig(at=INTERVIEW + WINDOW - SEC),
        hist(),
        "held",
        HELD_AFTER_INTERVIEW.format("13 days"),
        chaser=True,
    ),
    case(
        "window-exactly-is-outside",
        sig(at=INTERVIEW + WINDOW),
        hist(),
        "feedback",
        FEEDBACK_AFTER_INTERVIEW.format("14 days"),
    ),
    case(
        "window-plus-1s-is-outside",
        sig(at=INTERVIEW + WINDOW + SEC),
        hist(),
        "feedback",
        FEEDBACK_AFTER_INTERVIEW.format("14 days"),
    ),
    case(
        "hours-since-contact",
        sig(at=INTERVIEW + 5 * HOUR + 59 * 60 * SEC),
        hist(),
        "held",
        HELD_AFTER_INTERVIEW.format("5 h"),
        chaser=True,
    ),
    case(
        "2nd-follow-up-example-from-the-issue",
        sig(),
        hist(last_contact_at=MSG - 3 * DAY, last_contact_kind="batch", earlier_status_checks=(MSG - 9 * DAY,)),
        "held",
        "2nd follow-up in 9 days; last update from us 3 days ago",
        chaser=True,
    ),
    case(
        "3rd-follow-up-counts-only-the-window",
        sig(),
        hist(earlier_status_checks=(MSG - 30 * DAY, MSG - 12 * DAY, MSG - 2 * DAY)),
        "held",
        "3rd follow-up in 12 days; interview 16 days ago",
        chaser=True,
    ),
    case(
        "2nd-follow-up-after-waiting-window-is-held",
        sig(),
        hist(last_contact_at=MSG - 20 * DAY, last_contact_kind="batch", earlier_status_checks=(MSG - 5 * DAY,)),
        "held",
        "2nd follow-up in 5 days; interview 16 days ago",
        chaser=True,
    ),
    case(
        "earlier-check-exactly-14-days-back-does-not-count",
        sig(),
        hist(earlier_status_checks=(MSG - 14 * DAY,)),
        "feedback",
        FEEDBACK_AFTER_INTERVIEW.format("16 days"),
    ),
    case(
        "earlier-check-14-days-minus-1s-back-counts",
        sig(),
        hist(earlier_status_checks=(MSG - 14 * DAY + SEC,)),
        "held",
        "2nd follow-up in 13 days; interview 16 days ago",
        chaser=True,
    ),
    case(
        "earlier-check-at-same-instant-does-not-count",
        sig(),
        hist(earlier_status_checks=(MSG,)),
        "feedback",
        FEEDBACK_AFTER_INTERVIEW.format("16 days"),
    ),
    case(
        "out-of-order-check-with-later-timestamp-does-not-count",
        sig(),
        hist(earlier_status_checks=(MSG + 2 * HOUR,)),
        "feedback",
        FEEDBACK_AFTER_INTERVIEW.format("16 days"),
    ),
    case(
        "out-of-order-batch-update-after-message-does-not-count",
        sig(),
        hist(last_contact_at=MSG + HOUR, last_contact_kind="batch"),
        "feedback",
        FEEDBACK_AFTER_INTERVIEW.format("16 days"),
    ),
    case(
        "interview-after-message-does-not-count",
        sig(at=INTERVIEW - HOUR),
        hist(last_contact_at=INTERVIEW - 20 * DAY, last_contact_kind="reply"),
        "feedback",
        "status check 19 days after our last contact (personal reply on 14 Oct); no earlier chasing",
    ),
    case(
        "latest-contact-wins-reply-after-interview",
        sig(),
        hist(last_contact_at=MSG - 2 * DAY, last_contact_kind="reply"),
        "held",
        "status check 2 days after our last contact (personal reply on 17 Nov); inside the waiting window of 14 days",
        chaser=True,
    ),
    case(
        "contact-of-unknown-kind",
        sig(),
        hist(last_contact_at=MSG - DAY),
        "held",
        "status check 1 day after our last contact (message from us on 18 Nov); inside the waiting window of 14 days",
        chaser=True,
    ),
    case(
        "no-contact-measured-from-applying",
        sig(at=datetime(2025, 10, 6, 12, tzinfo=UTC)),
        hist(interviewed_at=None, stage="applied"),
        "held",
        "status check 5 days after applying on 1 Oct, with no contact from us; inside the waiting window of 14 days",
        chaser=True,
    ),
    case(
        "no-contact-applied-long-ago",
        sig(),
        hist(interviewed_at=None, stage="applied"),
        "feedback",
        "status check 48 days after applying on 1 Oct, with no contact from us; no earlier chasing",
    ),
    case(
        "no-dates-at-all-is-after-window",
        sig(),
        History(stage="applied"),
        "feedback",
        "status check with no contact or application date on record; no earlier chasing",
    ),
    case(
        "no-application-at-all",
        sig(),
        History(),
        "feedback",
        "status check with no contact or application date on record; no earlier chasing",
    ),
    case(
        "2nd-follow-up-with-no-contact",
        sig(),
        History(earlier_status_checks=(MSG - 2 * DAY,)),
        "held",
        "2nd follow-up in 2 days; no contact from us on record",
        chaser=True,
    ),
    case(
        "2nd-follow-up-since-applying",
        sig(),
        hist(interviewed_at=None, earlier_status_checks=(MSG - 2 * DAY,)),
        "held",
        "2nd follow-up in 2 days; no contact from us since applying 48 days ago",
        chaser=True,
    ),
    case(
        "contact-in-another-year-shows-the-year",
        sig(at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC)),
        hist(interviewed_at=datetime(2025, 12, 20, 9, 0, tzinfo=UTC)),
        "feedback",
        "status check 16 days after our last contact (interview on 20 Dec 2025); no earlier chasing",
    ),
    case(
        "team-waiting-window-7-days",
        sig(at=INTERVIEW + 8 * DAY),
        hist(),
        "feedback",
        FEEDBACK_AFTER_INTERVIEW.format("8 days"),
        policy=TeamPolicy(waiting_window=7 * DAY),
    ),
    case(
        "team-chaser-window-3-days",
        sig(),
        hist(earlier_status_checks=(MSG - 4 * DAY,)),
        "feedback",
        FEEDBACK_AFTER_INTERVIEW.format("16 days"),
        policy=TeamPolicy(chaser_window=3 * DAY),
    ),
]

# Instants, not local dates: local calendars disagree with the real span in both directions.
TIME_ZONES = [
    # 23:30 on 16 Nov in UTC-8 is 07:30 UTC on 17 Nov; the interview at 08:00 on 3 Nov in UTC+1
    # is 07:00 UTC. Local dates differ by 13 days, the instants by 14 days 30 min: outside.
    case(
        "utc-8-message-vs-utc+1-interview-outside",
        sig(at=datetime(2025, 11, 16, 23, 30, tzinfo=PST)),
        hist(interviewed_at=datetime(2025, 11, 3, 8, 0, tzinfo=CET)),
        "feedback",
        FEEDBACK_AFTER_INTERVIEW.format("14 days"),
    ),
    # 00:30 on 17 Nov in UTC+1 (23:30 UTC 16 Nov) vs 23:45 on 2 Nov in UTC-8 (07:45 UTC 3 Nov):
    # local dates differ by 15 days, the instants by 13 days 15 h 45 min: inside.
    case(
        "utc+1-message-vs-utc-8-interview-inside",
        sig(at=datetime(2025, 11, 17, 0, 30, tzinfo=CET)),
        hist(interviewed_at=datetime(2025, 11, 2, 23, 45, tzinfo=PST)),
        "held",
        "status check 13 days after our last contact (interview on 2 Nov); inside the waiting window of 14 days",
        chaser=True,
    ),
    case(
        "earlier-check-in-other-zone-compared-as-instant",
        sig(at=datetime(2025, 11, 19, 8, 0, tzinfo=CET)),  # 07:00 UTC
        hist(earlier_status_checks=(datetime(2025, 11, 19, 0, 30, tzinfo=PST),)),  # 08:30 UTC
        "feedback",
        FEEDBACK_AFTER_INTERVIEW.format("15 days"),
    ),
]

TODAY = [
    case(
        "info-response-answers-our-ask",
        sig("info_response"),
        hist(last_contact_at=MSG - 2 * DAY, last_contact_kind="reply", last_contact_asked=True),
        "today",
        "answers our request of 17 Nov; reply due in 24 h",
        due=MSG + DAY,
    ),
    case(
        "info-response-unasked",
        sig("info_response"),
        hist(last_contact_at=MSG - 2 * DAY, last_contact_kind="batch"),
        "today",
        "sends information (no open request from us); reply due in 24 h",
        due=MSG + DAY,
    ),
    case(
        "info-response-ask-sent-after-message-is-not-answered",
        sig("info_response"),
        hist(last_contact_at=MSG + HOUR, last_contact_kind="reply", last_contact_asked=True),
        "today",
        "sends information (no open request from us); reply due in 24 h",
        due=MSG + DAY,
    ),
    case("scheduling", sig("scheduling"), hist(), "today", "about scheduling; reply due in 24 h", due=MSG + DAY),
    case(
        "offer-negotiation",
        sig("offer_negotiation"),
        hist(stage="offer"),
        "today",
        "negotiates the offer; reply due in 24 h",
        due=MSG + DAY,
    ),
    case(
        "offer-response",
        sig("offer_response"),
        hist(stage="offer"),
        "today",
        "responds to our offer; reply due in 24 h",
        due=MSG + DAY,
    ),
    case(
        "team-due-4-hours",
        sig("scheduling", at=datetime(2025, 11, 19, 23, 0, tzinfo=PST)),
        hist(),
        "today",
        "about scheduling; reply due in 4 h",
        due=datetime(2025, 11, 20, 3, 0, tzinfo=PST),
        policy=TeamPolicy(today_due=4 * HOUR),
    ),
]

OTHER_INTENTS = [
    case(
        "feedback-request-without-rejection",
        sig("feedback_request"),
        hist(),
        "feedback",
        "feedback request, no rejection on record (stage: interviewed)",
    ),
    case(
        "feedback-request-no-application",
        sig("feedback_request"),
        History(),
        "feedback",
        "feedback request, no rejection on record (stage: no matching application)",
    ),
    case(
        "withdrawal-moves-stage",
        sig("withdrawal"),
        hist(stage="interviewing"),
        "fyi",
        "candidate withdraws; application moves to withdrawn",
        withdraws=True,
    ),
    case(
        "withdrawal-at-offer-moves-stage",
        sig("withdrawal"),
        hist(stage="offer"),
        "fyi",
        "candidate withdraws; application moves to withdrawn",
        withdraws=True,
    ),
    case(
        "withdrawal-already-withdrawn",
        sig("withdrawal"),
        hist(stage="withdrawn"),
        "fyi",
        "candidate withdraws; application already withdrawn, stage unchanged",
    ),
    case(
        "withdrawal-after-hire",
        sig("withdrawal"),
        hist(stage="hired"),
        "fyi",
        "candidate withdraws; application already hired, stage unchanged",
    ),
    case(
        "withdrawal-after-rejection",
        sig("withdrawal"),
        hist(stage="rejected"),
        "fyi",
        "candidate withdraws; application already rejected, stage unchanged",
    ),
    case(
        "withdrawal-no-application",
        sig("withdrawal"),
        History(),
        "fyi",
        "candidate withdraws; no matching application to update",
    ),
    case("thank-you", sig("thank_you"), hist(), "fyi", "thank-you note; nothing owed"),
    case("other", sig("other"), hist(), "fyi", "nothing asked of us (other)"),
]


@pytest.mark.parametrize(
    "signal, history, policy, expected",
    REVIEW + AUTO_REPLY + REJECTION + STATUS_CHECK + TIME_ZONES + TODAY + OTHER_INTENTS,
)
def test_decide(signal: Signal, history: History, policy: TeamPolicy, expected: Decision) -> None:
    assert decide(signal, history, policy) == expected


@pytest.mark.parametrize(
    "span, text",
    [
        (timedelta(0), "under 1 min"),
        (59 * SEC, "under 1 min"),
        (60 * SEC, "1 min"),
        (HOUR - SEC, "59 min"),
        (5 * HOUR, "5 h"),
        (DAY - SEC, "23 h"),
        (DAY, "1 day"),
        (2 * DAY - SEC, "1 day"),
        (3 * DAY + 7 * HOUR, "3 days"),
        (400 * DAY, "400 days"),
    ],
    ids=lambda v: str(v),
)
def test_format_duration(span: timedelta, text: str) -> None:
    assert format_duration(span) == text


def test_format_duration_rejects_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        format_duration(-SEC)


@pytest.mark.parametrize(
    "n, text",
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (101, "101st"),
        (111, "111th"),
    ],
)
def test_ordinal(n: int, text: str) -> None:
    assert ordinal(n) == text


NAIVE = datetime(2025, 11, 3, 9, 0)


@pytest.mark.parametrize(
    "build, field",
    [
        (lambda: Signal("status_check", 0.9, NAIVE), "received_at"),
        (lambda: History(applied_at=NAIVE), "applied_at"),
        (lambda: History(interviewed_at=NAIVE), "interviewed_at"),
        (lambda: History(rejected_at=NAIVE), "rejected_at"),
        (lambda: History(last_contact_at=NAIVE), "last_contact_at"),
        (lambda: History(earlier_status_checks=(MSG, NAIVE)), r"earlier_status_checks\[1\]"),
        (lambda: chaser_count(History(), NAIVE), "received_at"),
    ],
    ids=[
        "received_at",
        "applied_at",
        "interviewed_at",
        "rejected_at",
        "last_contact_at",
        "earlier_status_checks",
        "chaser_count",
    ],
)
def test_naive_datetimes_are_rejected(build, field: str) -> None:
    with pytest.raises(ValueError, match=f"{field} must be timezone-aware"):
        build()


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: Signal("gossip", 0.9, MSG), "gossip"),
        (lambda: Signal("other", 1.5, MSG), "confidence"),
        (lambda: Signal("other", float("nan"), MSG), "confidence"),
        (lambda: Signal("other", 0.9, None), "received_at"),
        (lambda: History(stage="ghosted"), "ghosted"),
        (lambda: History(last_contact_kind="phone", last_contact_at=MSG), "phone"),
        (lambda: History(last_contact_asked=True), "need last_contact_at"),
        (lambda: TeamPolicy(waiting_window=timedelta(0)), "waiting_window"),
        (lambda: TeamPolicy(chaser_window=-DAY), "chaser_window"),
        (lambda: TeamPolicy(today_due=24), "today_due"),
        (lambda: TeamPolicy(confidence_threshold=-0.1), "confidence_threshold"),
    ],
    ids=[
        "unknown-intent",
        "confidence-above-1",
        "confidence-nan",
        "no-received-at",
        "unknown-stage",
        "unknown-contact-kind",
        "asked-without-contact",
        "zero-window",
        "negative-chaser-window",
        "due-not-timedelta",
        "negative-threshold",
    ],
)
def test_invalid_inputs_are_rejected(build, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_strings_are_coerced_to_enums() -> None:
    h = History(stage="offer", last_contact_at=MSG, last_contact_kind="batch", earlier_status_checks=[MSG - DAY])
    s = sig("withdrawal")
    assert (s.intent, h.stage, h.last_contact_kind, h.earlier_status_checks) == (
        Intent.withdrawal,
        AppStage.offer,
        ContactKind.BATCH,
        (MSG - DAY,),
    )


def test_lanes_compare_equal_to_their_words() -> None:
    assert [lane == lane.value for lane in Lane] == [True] * 5 and Lane.held == "held"


@pytest.mark.parametrize(
    "checks, count",
    [
        ((), 1),
        ((MSG - DAY,), 2),
        ((MSG - 20 * DAY, MSG - 13 * DAY, MSG - HOUR), 3),
        ((MSG + HOUR, MSG - 14 * DAY), 1),
    ],
    ids=["first", "second", "third-ignores-old", "ignores-later-and-boundary"],
)
def test_chaser_count(checks: tuple[datetime, ...], count: int) -> None:
    assert chaser_count(History(earlier_status_checks=checks), MSG) == count


# --- property: decide is total over valid inputs -------------------------------------------

zones = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
instants = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=zones)
maybe = st.none() | instants
spans = st.timedeltas(min_value=SEC, max_value=timedelta(days=365))


@st.composite
def histories(draw) -> History:
    contact = draw(maybe)
    return History(
        stage=draw(st.none() | st.sampled_from(AppStage)),
        applied_at=draw(maybe),
        interviewed_at=draw(maybe),
        rejected_at=draw(maybe),
        last_contact_at=contact,
        last_contact_kind=draw(st.none() | st.sampled_from(ContactKind)) if contact else None,
        last_contact_asked=contact is not None and draw(st.booleans()),
        earlier_status_checks=tuple(draw(st.lists(instants, max_size=6))),
    )


signals = st.builds(
    Signal,
    intent=st.sampled_from(Intent),
    confidence=st.floats(min_value=0.0, max_value=1.0),
    received_at=instants,
    auto_reply=st.booleans(),
    sender_known=st.booleans(),
    role_matched=st.booleans(),
)
policies = st.builds(
    TeamPolicy,
    waiting_window=spans,
    chaser_window=spans,
    today_due=spans,
    confidence_threshold=st.floats(min_value=0.0, max_value=1.0),
)


@settings(max_examples=500, deadline=None)
@given(signal=signals, history=histories(), policy=policies)
def test_decide_is_total_and_always_explains(signal: Signal, history: History, policy: TeamPolicy) -> None:
    d = decide(signal, history, policy)
    assert (
        d.reasons
        and all(isinstance(r, str) and r for r in d.reasons)
        and (d.due_at is not None) == (d.lane is Lane.today)
        and (not d.is_chaser or d.lane is Lane.held)
        and (not d.withdraws or d.lane is Lane.fyi)
    )


# --- urgency, answered asks, must-answer costs ----------------------------------------------
ASKED = datetime(2025, 11, 17, 15, 0, tzinfo=UTC)  # our request, 2 days before MSG


@pytest.mark.parametrize("intent", [i.value for i in Intent])
def test_urgency_goes_to_today_whatever_the_intent(intent):
    urgent = "mentions a competing offer with a deadline of Fri 21 Nov"
    # Inside the waiting window a status check would be a held chaser; a low confidence would be Review.
    decision = decide(sig(intent, confidence=0.3, urgency=urgent), hist(last_contact_at=MSG - DAY))
    assert decision == Decision(Lane.today, (f"{urgent}; reply due in 24 h",), due_at=MSG + DAY)
    assert not decision.is_chaser


def test_urgency_with_earlier_chasers_is_not_a_chaser():
    earlier = (MSG - 3 * DAY, MSG - 2 * DAY)
    decision = decide(sig(urgency="mentions a deadline to decide"), hist(earlier_status_checks=earlier))
    assert decision.lane is Lane.today and not decision.is_chaser


def test_unknown_sender_still_goes_to_review_when_urgent():
    decision = decide(sig(sender_known=False, urgency="mentions a competing offer"), hist())
    assert decision.lane is Lane.review


@pytest.mark.parametrize(
    ("intent", "attachments", "links", "reason"),
    [
        ("thank_you", 1, 0, "answers our request of 17 Nov (sends an attachment)"),
        ("status_check", 0, 2, "answers our request of 17 Nov (sends 2 links)"),
        ("other", 2, 1, "answers our request of 17 Nov (sends 2 attachments and a link)"),
        ("thank_you", 0, 0, "answers our request of 17 Nov"),
        ("info_response", 0, 0, "answers our request of 17 Nov"),
    ],
)
def test_reply_to_our_ask_is_the_answer(intent, attachments, links, reason):
    history = hist(last_contact_at=ASKED, last_contact_kind="reply", last_contact_asked=True)
    decision = decide(sig(intent, confidence=0.4, attachments=attachments, links=links), history)
    assert decision == Decision(Lane.today, (f"{reason}; reply due in 24 h",), due_at=MSG + DAY)


def test_answer_and_urgency_share_one_reason():
    history = hist(last_contact_at=ASKED, last_contact_kind="reply", last_contact_asked=True)
    decision = decide(sig("thank_you", attachments=1, urgency="mentions a competing offer"), history)
    assert decision.reasons == (
        "answers our request of 17 Nov (sends an attachment); mentions a competing offer; reply due in 24 h",
    )


@pytest.mark.parametrize(
    ("history", "why"),
    [
        (hist(last_contact_at=MSG - 15 * DAY, last_contact_kind="reply", last_contact_asked=True), "ask expired"),
        (hist(last_contact_at=MSG + HOUR, last_contact_kind="reply", last_contact_asked=True), "ask came later"),
        (hist(last_contact_at=ASKED, last_contact_kind="reply"), "nothing asked"),
    ],
)
def test_attachments_outside_an_open_ask_do_not_answer_it(history, why):
    decision = decide(sig("thank_you", attachments=1), history)
    assert decision.lane is Lane.fyi, why


def test_status_check_without_files_does_not_answer_the_ask():
    history = hist(last_contact_at=ASKED, last_contact_kind="reply", last_contact_asked=True)
    assert decide(sig("status_check"), history).lane is Lane.held


def test_auto_reply_with_attachment_is_not_an_answer():
    history = hist(last_contact_at=ASKED, last_contact_kind="reply", last_contact_asked=True)
    assert decide(sig("other", auto_reply=True, attachments=1), history).lane is Lane.fyi


@pytest.mark.parametrize(
    ("intent", "history", "buried"),
    [
        ("thank_you", hist(), "fyi"),
        ("other", hist(), "fyi"),
        ("withdrawal", hist(), "fyi"),
        ("status_check", hist(last_contact_at=MSG - DAY), "held"),
    ],
)
def test_likely_must_answer_is_not_buried(intent, history, buried):
    plain = decide(sig(intent, must_answer=0.2, must_answer_threshold=0.3), history)
    assert plain.lane is Lane(buried)
    decision = decide(sig(intent, must_answer=0.3, must_answer_threshold=0.3), history)
    assert decision.lane is Lane.review and not decision.is_chaser and not decision.withdraws
    words = intent.replace("_", " ")
    assert decision.reasons[0].startswith(
        f"may need an answer (30% likely; Review from 30%) though it reads as {words}; otherwise: "
    )


def test_must_answer_does_not_touch_today_or_feedback():
    assert decide(sig("scheduling", must_answer=0.9, must_answer_threshold=0.3), hist()).lane is Lane.today
    rejected = hist(stage="rejected", rejected_at=REJECTED)
    assert decide(sig("feedback_request", must_answer=0.9, must_answer_threshold=0.3), rejected).lane is Lane.feedback


@pytest.mark.parametrize(
    "kw",
    [{"must_answer": 1.5}, {"must_answer_threshold": -0.1}, {"attachments": -1}, {"links": True}, {"links": 1.0}],
)
def test_signal_rejects_bad_new_fields(kw):
    with pytest.raises(ValueError):
        sig(**kw)


@pytest.mark.parametrize("stage", ["withdrawn", "hired"])
def test_a_status_check_from_someone_no_longer_in_the_process_goes_to_a_person(stage) -> None:
    # Held, it would wait for a role update that writes to open stages only, and be acknowledged
    # with "everyone still in the process will hear from us".
    d = decide(sig("status_check", MSG), hist(stage=stage, earlier_status_checks=[MSG - DAY]))
    assert (d.lane, d.is_chaser, stage in d.reasons[0]) == (Lane.feedback, False, True)
