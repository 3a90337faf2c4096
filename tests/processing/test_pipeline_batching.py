"""A batch's writes do not grow a statement per message: proposals and hints go in the batch's UPDATEs."""

from __future__ import annotations

from sqlalchemy import event, select

from tests.intake.conftest import make_raw
from triage.db import AuditEvent, Channel, Lane, Message
from triage.intake.accept import Delivery, accept_many
from triage.processing import pipeline

WITHDRAWAL = "Dear Rita, I have decided to withdraw my application. Kind regards, {name}"


def _withdrawals(database, make_role, make_application, n: int, first: int) -> list[int]:
    """n unsigned withdrawals (each only proposed) from n candidates, stored; their ids."""
    role = make_role("Data Analyst")
    raws = []
    for i in range(first, first + n):
        address = f"cand{i}@example.org"
        make_application(address, role, name=f"Candidate {i}")
        raws.append(make_raw(sender=f"Candidate {i} <{address}>", body=WITHDRAWAL.format(name=f"Candidate {i}")))
    return [a.id for a in accept_many(database, [Delivery(raw, Channel.smtp) for raw in raws], None)]


def _message_updates(database, settings, ids: list[int]) -> int:
    """How many UPDATE statements on messages processing these ids sends (an executemany counts once)."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE MESSAGES"):
            seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        outcome = pipeline.run(database, settings, ids)
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    assert outcome.lanes == {str(Lane.review): len(ids)}  # every withdrawal was proposed
    return len(seen)


def test_proposed_withdrawals_add_no_update_per_message(settings, database, keyword_model, make_role, make_application):
    few = _message_updates(database, settings, _withdrawals(database, make_role, make_application, 2, 0))
    many = _message_updates(database, settings, _withdrawals(database, make_role, make_application, 12, 100))
    assert many == few


def test_each_proposal_keeps_its_audit_row_in_message_order(
    settings, database, keyword_model, make_role, make_application
):
    ids = _withdrawals(database, make_role, make_application, 5, 200)
    pipeline.run(database, settings, ids)
    with database.session() as s:
        rows = s.execute(select(AuditEvent.action, AuditEvent.details).order_by(AuditEvent.id)).all()
        proposals = s.scalars(select(Message.proposal).where(Message.id.in_(ids)).order_by(Message.id)).all()
    assert (
        [(action, details["message_id"]) for action, details in rows if action.startswith("application.withdraw")],
        proposals,
    ) == ([("application.withdraw.proposed", i) for i in ids], ["withdraw"] * 5)
