"""The pipeline: parse → unwrap → strip → match → classify → route, idempotent, batched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.intake.conftest import make_raw
from triage.db import Application, AppStage, AuditEvent, Candidate, Channel, Lane, Message, MessageState, Outbound
from triage.intake.accept import Delivery, accept_many
from triage.processing import pipeline

CANDIDATE = "ada@example.org"


def _ingest(settings, database, *raws: bytes, envelope_to: str | None = None) -> list[Message]:
    accepted = accept_many(database, [Delivery(r, Channel.http, envelope_to=envelope_to) for r in raws], None)
    pipeline.run(database, settings, [a.id for a in accepted])
    with database.session() as s:
        return [s.get(Message, a.id) for a in accepted]


def test_status_check_from_a_known_candidate_is_matched_and_routed(
    settings, database, keyword_model, make_role, make_application
):
    role = make_role("Data Analyst")
    app = make_application(CANDIDATE, role, interview_at=datetime.now(UTC) - timedelta(days=3))
    [m] = _ingest(settings, database, make_raw(subject="Any update?", body="Hi, any update on my application?"))
    assert (m.application_id, m.role_id, m.intent, m.lane, m.state, m.is_chaser, m.model_version) == (
        app.id,
        role.id,
        "status_check",
        Lane.held,
        MessageState.held,
        True,
        "test-keywords",
    )


def test_a_reason_says_how_the_role_was_found(settings, database, keyword_model, make_role, make_application):
    role = make_role("Data Analyst")
    make_application(CANDIDATE, role)
    [m] = _ingest(settings, database, make_raw(body="Thank you for the interview."))
    assert m.lane == Lane.fyi and any("only active application" in r for r in m.reasons)


def test_a_new_sender_becomes_a_candidate_and_goes_to_review(settings, database, keyword_model, make_role):
    make_role("Data Analyst")
    [m] = _ingest(settings, database, make_raw(sender="New Person <new@example.org>", body="any update?"))
    with database.session() as s:
        candidate = s.get(Candidate, m.candidate_id)
    assert (candidate.email, m.lane) == ("new@example.org", Lane.review) and "unknown sender" in m.reasons


def test_per_role_address_pins_the_role(settings, database, keyword_model, make_role, make_application):
    make_role("Data Analyst", reference="REQ-1")
    pinned = make_role("Backend Engineer", reference="REQ-1042")
    make_application(CANDIDATE, pinned)
    [m] = _ingest(settings, database, make_raw(body="thank you", to="jobs+REQ-1042@triage.localhost"))
    assert m.role_id == pinned.id


def test_per_role_address_from_the_smtp_envelope(settings, database, keyword_model, make_role):
    pinned = make_role("Backend Engineer", reference="REQ-1042")
    [m] = _ingest(settings, database, make_raw(body="thank you"), envelope_to="jobs+req-1042@triage.localhost")
    assert m.role_id == pinned.id


def test_role_reference_in_the_subject(settings, database, keyword_model, make_role, make_application):
    make_application(CANDIDATE, make_role("Data Analyst", reference="REQ-7"))
    wanted = make_role("Data Engineer", reference="REQ-8")
    make_application(CANDIDATE, wanted)
    [m] = _ingest(settings, database, make_raw(subject="REQ-8: any update?", body="Hello"))
    assert m.role_id == wanted.id


def test_role_title_in_the_body(settings, database, keyword_model, make_role, make_application):
    make_application(CANDIDATE, make_role("Data Analyst"))
    wanted = make_role("Platform Engineer")
    make_application(CANDIDATE, wanted)
    [m] = _ingest(settings, database, make_raw(body="Any update on the platform engineer role?"))
    assert (m.role_id, m.application_id is not None) == (wanted.id, True)


def test_reply_to_our_outbound_mail_finds_the_role(
    settings, database, keyword_model, make_role, make_application, db_session
):
    make_application(CANDIDATE, make_role("Data Analyst"))
    wanted = make_role("Sales Lead")
    app = make_application(CANDIDATE, wanted)
    db_session.add(
        Outbound(
            message_id="<ours-1@triage.localhost>",
            kind="reply",
            application_id=app.id,
            role_id=wanted.id,
            from_address="jobs@triage.localhost",
            to_address=CANDIDATE,
            subject="Next steps",
            body_text="...",
        )
    )
    db_session.commit()
    [m] = _ingest(
        settings,
        database,
        make_raw(subject="Re: Next steps", body="thank you", headers={"In-Reply-To": "<ours-1@triage.localhost>"}),
    )
    assert m.role_id == wanted.id


def test_several_applications_and_no_hint_go_to_review_with_the_reason(
    settings, database, keyword_model, make_role, make_application
):
    make_application(CANDIDATE, make_role("Data Analyst"))
    make_application(CANDIDATE, make_role("Sales Lead"))
    [m] = _ingest(settings, database, make_raw(body="thank you"))
    assert m.lane == Lane.review and "candidate has 2 applications and none is named" in m.reasons


FORWARD = """FYI, see below.

---------- Forwarded message ---------
From: Ada Candidate <ada@example.org>
Date: Mon, 16 Nov 2026 at 10:00
Subject: Any update?
To: Rita Recruiter <rita@example.com>

Hi Rita, is there any update on my application?

Thanks, Ada
"""


def test_forward_from_a_team_member_is_unwrapped(
    settings, database, keyword_model, make_role, make_application, make_user
):
    rita = make_user("recruiter", email="rita@example.com")
    app = make_application(CANDIDATE, make_role("Data Analyst"))
    [m] = _ingest(
        settings, database, make_raw(sender="Rita <rita@example.com>", subject="Fwd: Any update?", body=FORWARD)
    )
    assert (m.original_from_address, m.forwarded_by_id, m.application_id, m.intent) == (
        CANDIDATE,
        rita.id,
        app.id,
        "status_check",
    )


def test_forward_from_a_team_alias_is_unwrapped(make_settings, redis_client, database, keyword_model):
    settings = make_settings(TRIAGE_TEAM_ALIASES="hiring@example.com")
    [m] = _ingest(settings, database, make_raw(sender="hiring@example.com", subject="Fwd: Any update?", body=FORWARD))
    assert (m.original_from_address, m.from_address) == (CANDIDATE, "hiring@example.com")


def test_forward_from_an_outsider_claiming_a_candidate_is_not_unwrapped(
    settings, database, keyword_model, make_role, make_application
):
    make_application(CANDIDATE, make_role("Data Analyst"))
    [m] = _ingest(
        settings, database, make_raw(sender="Mallory <mallory@evil.example>", subject="Fwd: Any update?", body=FORWARD)
    )
    assert (m.original_from_address, m.forwarded_by_id, m.application_id) == ("mallory@evil.example", None, None)


def test_withdrawal_moves_the_application_and_is_audited(
    settings, database, keyword_model, make_role, make_application, make_user
):
    # Forwarded by a team member, who vouches for it (unauthenticated direct mail only proposes:
    # tests/processing/test_pipeline_authority.py).
    make_user("recruiter", email="rita@example.com")
    app = make_application(CANDIDATE, make_role("Data Analyst"))
    body = FORWARD.replace(
        "Hi Rita, is there any update on my application?", "I have decided to withdraw my application."
    )
    [m] = _ingest(settings, database, make_raw(sender="Rita <rita@example.com>", subject="Fwd: Withdrawal", body=body))
    with database.session() as s:
        stage = s.get(Application, app.id).stage
        events = s.scalars(select(AuditEvent.details).where(AuditEvent.action == "application.withdraw")).all()
    assert (m.lane, stage, [e["message_id"] for e in events]) == (Lane.fyi, AppStage.withdrawn, [m.id])


def test_processing_twice_changes_nothing(settings, database, keyword_model, make_role, make_application):
    make_application(CANDIDATE, make_role("Data Analyst"))
    [m] = _ingest(settings, database, make_raw(body="I withdraw my application."))
    outcome = pipeline.run(database, settings, [m.id])
    with database.session() as s:
        audits = s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("application.withdraw%"))
        )
        again = s.get(Message, m.id)
    assert (outcome.processed, outcome.skipped, audits, again.processed_at) == (0, 1, 1, m.processed_at)


def test_second_chaser_in_one_batch_counts_the_first(settings, database, keyword_model, make_role, make_application):
    make_application(
        CANDIDATE,
        make_role("Data Analyst"),
        last_update_at=datetime(2026, 9, 1, tzinfo=UTC),
        applied_at=datetime(2026, 8, 1, tzinfo=UTC),
        last_update_kind="batch",
    )
    first, second = (make_raw(body="any update?", date=datetime(2026, 11, d, tzinfo=UTC)) for d in (1, 2))
    accepted = accept_many(
        database,
        [
            Delivery(first, Channel.import_, received_at=datetime(2026, 11, 1, tzinfo=UTC)),
            Delivery(second, Channel.import_, received_at=datetime(2026, 11, 2, tzinfo=UTC)),
        ],
        None,
    )
    pipeline.run(database, settings, [a.id for a in accepted])
    with database.session() as s:
        rows = [s.get(Message, a.id) for a in accepted]
    assert [r.lane for r in rows] == [Lane.feedback, Lane.held] and rows[1].reasons[0].startswith("2nd follow-up")


def test_unreadable_mail_is_stored_and_put_in_review_with_the_error(settings, database, keyword_model):
    msg_file = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4
    [m] = _ingest(settings, database, msg_file)
    assert (m.lane, m.raw, m.error.startswith("unreadable")) == (Lane.review, msg_file, True)


def test_without_a_model_messages_wait_in_review_with_the_reason(settings, database, monkeypatch):
    monkeypatch.setattr(pipeline, "_model", None)
    monkeypatch.setattr(pipeline, "_model_error", "no intent-*.skops")
    [m] = _ingest(settings, database, make_raw(body="any update?"))
    assert m.lane == Lane.review and m.reasons[0].startswith("no intent model available")


def test_low_confidence_goes_to_review(settings, database, keyword_model, make_role, make_application):
    make_application(CANDIDATE, make_role("Data Analyst"))
    [m] = _ingest(settings, database, make_raw(body="maybe"))
    assert m.lane == Lane.review and m.reasons[0].startswith("low confidence")


def test_the_shipped_model_classifies_and_is_recorded(settings, database):
    from triage.classifier import ModelError

    pipeline.use_model(None)
    try:
        if pipeline.load_model(settings) is None:
            pytest.skip(f"no trained model in {settings.models_dir} ({pipeline._model_error})")
        [m] = _ingest(settings, database, make_raw(body="Hi, is there any update on my application?"))
        assert m.model_version.startswith("intent-") and m.intent is not None and 0 <= m.confidence <= 1
    except ModelError as exc:  # pragma: no cover - load_model keeps the error instead
        pytest.fail(str(exc))
    finally:
        pipeline.use_model(None)


def test_the_pool_path_gives_the_same_result_as_in_process(settings, database, keyword_model):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    raws = [make_raw(sender=f"p{i}@example.org", body="any update?" if i % 2 else "thank you") for i in range(120)]
    accepted = accept_many(database, [Delivery(r, Channel.import_) for r in raws], None)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        pipeline.run(
            database,
            settings,
            [a.id for a in accepted],
            mapper=pool.map,
            raws={a.id: r for a, r in zip(accepted, raws)},
        )
    with database.session() as s:
        intents = s.scalars(select(Message.intent).order_by(Message.id)).all()
    assert intents == ["status_check" if i % 2 else "thank_you" for i in range(120)]
