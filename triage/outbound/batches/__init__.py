"""Batched status updates: pick roles × stages, preview, send a personal email to each candidate.

The package's public names: the batch's life (lifecycle), who gets an update and the frequency
cap (recipients), rendering and writing the emails (sending). Enqueueing lives in
triage.outbound.dispatch, the RQ jobs in triage.outbound.tasks.
"""

from triage.outbound.batches.content import asks, get_template
from triage.outbound.batches.lifecycle import (
    cancel,
    create,
    get,
    job_id,
    mark_finished,
    progress,
    recipient_count,
    retry_failed,
    role_ids_for,
    schedule,
    template_named,
)
from triage.outbound.batches.preview import NotConfirmed, preview, question, require_confirmation
from triage.outbound.batches.recipients import (
    EVERY_DAYS,
    SKIP_BAD_ADDRESS,
    SKIP_RECENT,
    SKIP_SUPPRESSED,
    Selection,
    check_choice,
    every_days,
    select_recipients,
)
from triage.outbound.batches.sending import PART, SendResult, answered_note, send

__all__ = [
    "EVERY_DAYS",
    "PART",
    "NotConfirmed",
    "SKIP_BAD_ADDRESS",
    "SKIP_RECENT",
    "SKIP_SUPPRESSED",
    "Selection",
    "SendResult",
    "answered_note",
    "asks",
    "cancel",
    "check_choice",
    "create",
    "every_days",
    "get",
    "get_template",
    "job_id",
    "mark_finished",
    "preview",
    "progress",
    "question",
    "recipient_count",
    "require_confirmation",
    "retry_failed",
    "role_ids_for",
    "schedule",
    "select_recipients",
    "send",
    "template_named",
]
