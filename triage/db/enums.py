"""Statuses as words a recruiter would use, stored as plain strings.

The one definition of Lane, AppStage (an application's stage) and Intent: the database, the
routing rules, the inbox and the classifier all use these. The values are stored (in rows and in
the model artifact's labels), so renaming one needs a migration and a retrained model.
"""

from __future__ import annotations

from enum import StrEnum


class UserRole(StrEnum):
    admin = "admin"
    recruiter = "recruiter"
    line_manager = "line_manager"


class AppStage(StrEnum):
    applied = "applied"
    screening = "screening"
    interviewing = "interviewing"
    interviewed = "interviewed"
    offer = "offer"
    hired = "hired"
    rejected = "rejected"
    withdrawn = "withdrawn"


class Direction(StrEnum):
    inbound = "inbound"
    outbound = "outbound"


class Channel(StrEnum):
    http = "http"
    smtp = "smtp"
    imap = "imap"
    import_ = "import"


class Lane(StrEnum):
    today = "today"
    feedback = "feedback"
    held = "held"
    fyi = "fyi"
    review = "review"


# What a person reads for each lane, in the order the inbox lists them.
LANE_NAMES: dict[Lane, str] = {
    Lane.today: "Today",
    Lane.feedback: "Feedback",
    Lane.held: "Held for batch",
    Lane.fyi: "FYI",
    Lane.review: "Review",
}


class Intent(StrEnum):
    """The classifier's vocabulary, in models/LABELS.md order (the order of the model's labels)."""

    status_check = "status_check"
    feedback_request = "feedback_request"
    thank_you = "thank_you"
    info_response = "info_response"
    scheduling = "scheduling"
    withdrawal = "withdrawal"
    offer_negotiation = "offer_negotiation"
    offer_response = "offer_response"
    other = "other"


class MessageState(StrEnum):
    received = "received"  # stored, not yet processed
    triaged = "triaged"  # in a lane, waiting for a person
    held = "held"  # a chaser waiting for the role's next batch update
    answered = "answered"  # answered by a batch update
    replied = "replied"  # a person replied
    archived = "archived"
    snoozed = "snoozed"
    failed = "failed"  # processing failed; shown in Review with the error


class OutboxState(StrEnum):
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    cancelled = "cancelled"


class BatchState(StrEnum):
    draft = "draft"
    scheduled = "scheduled"
    sending = "sending"
    sent = "sent"
    cancelled = "cancelled"


class TemplateKind(StrEnum):
    status_update = "status_update"
    feedback = "feedback"
    acknowledgement = "acknowledgement"
    rejection = "rejection"
    request_info = "request_info"
    reply = "reply"
