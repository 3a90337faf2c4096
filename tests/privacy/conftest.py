"""Privacy fixtures: a real sink that keeps sent mail under var/sink, and a candidate with history.

`history` builds, through the real pipeline, outbox, batches and delivery: the candidate to erase
(10 mails, 2 replies, a batch update, a correction, the corrections exported under var/) and
another candidate on the same role who must come through untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from tests.conftest import free_port
from tests.intake.conftest import keyword_model, make_application, make_raw, token_for
from triage.classifier import corrections
from triage.db import Channel, Message, Outbound, TemplateKind
from triage.db.base import utcnow
from triage.inbox import operations
from triage.intake.accept import Delivery, accept_many
from triage.outbound import batches, delivery, outbox, templates
from triage.outbound.sink import Sink
from triage.processing import pipeline

__all__ = ["keyword_model", "make_application", "token_for"]

ERASED = "zebulon.quixote@example.org"
ERASED_NAME = "Zebulon Quixote"
PHRASE = "marmalade-octopus-7731"
KEPT = "ada.keeper@example.org"
KEPT_NAME = "Ada Keeper"
KEPT_PHRASE = "lighthouse-pelican-4410"
NEEDLES = (ERASED, ERASED_NAME.lower(), PHRASE, "zebulon", "quixote")


@pytest.fixture
def var_sink(tmp_path):
    """An aiosmtpd sink keeping what it accepts in var/sink, as `triage sink` does."""
    (tmp_path / "var").mkdir(exist_ok=True)
    server = Sink("127.0.0.1", free_port(), tmp_path / "var" / "sink").start()
    yield server
    server.stop()


@pytest.fixture
def settings(make_settings, redis_client, var_sink):
    return make_settings(SMTP_URL=f"smtp://127.0.0.1:{var_sink.port}", TRIAGE_FROM_ADDRESS="jobs@acme.example")


def ingest(settings, database, *raws: bytes) -> list[int]:
    accepted = accept_many(database, [Delivery(r, Channel.http) for r in raws], None)
    pipeline.run(database, settings, [a.id for a in accepted])
    return [a.id for a in accepted]


def send_due(database, settings, ids: list[int]) -> None:
    """Deliver rows now (past the undo window), over SMTP to the sink."""
    with database.session() as s:
        s.execute(update(Outbound).where(Outbound.id.in_(ids)).values(next_attempt_at=utcnow()))
        s.commit()
    tally = delivery.deliver(database, settings, ids)
    assert tally.as_dict()["sent"] == len(ids), tally.as_dict()


@dataclass
class History:
    role_id: int
    erased_id: int
    kept_id: int
    erased_messages: list[int]
    kept_messages: list[int]
    corrected: int
    batch_id: int
    admin_id: int


@pytest.fixture
def history(settings, database, db_session, keyword_model, make_role, make_application, make_user, var_sink):
    role = make_role("Data Analyst")
    admin = make_user("admin")
    interview = datetime.now(UTC) - timedelta(days=20)
    erased_app = make_application(ERASED, role, name=ERASED_NAME, interview_at=interview)
    kept_app = make_application(KEPT, role, name=KEPT_NAME, interview_at=interview)
    bodies = ["Hi, any update on my application?", "thank you for the interview", "references attached"]
    mine = ingest(
        settings,
        database,
        *(
            make_raw(
                sender=f"{ERASED_NAME} <{ERASED}>",
                subject=f"Data Analyst application {i}",
                body=f"{bodies[i % 3]} Signed with {PHRASE} number {i}.",
                date=datetime.now(UTC) - timedelta(days=10 - i),
            )
            for i in range(10)
        ),
    )
    theirs = ingest(
        settings,
        database,
        *(
            make_raw(sender=f"{KEPT_NAME} <{KEPT}>", subject="Data Analyst", body=f"any update? {KEPT_PHRASE} {i}")
            for i in range(3)
        ),
    )
    # Two personal replies, delivered to the sink.
    replies = []
    for message_id in mine[:2]:
        row = outbox.create_reply(
            db_session,
            settings,
            message_id=message_id,
            subject=f"Re: your application, {ERASED_NAME}",
            body_text=f"Dear {ERASED_NAME}, thanks for writing ({ERASED}).",
            user_id=admin.id,
        )
        replies.append(row.id)
    db_session.commit()
    send_due(database, settings, replies)
    # A batch update to the role's interviewed candidates (both), delivered too.
    templates.ensure_default_templates(db_session)
    db_session.commit()
    template = templates.default_template(db_session, TemplateKind.status_update)
    batch = batches.create(
        db_session,
        role_ids=[role.id],
        stages=["interviewed"],
        template_id=template.id,
        next_update_on=date.today() + timedelta(days=7),
        user_id=admin.id,
    )
    db_session.commit()
    sent = batches.send(db_session, settings, batch.id, user_id=admin.id)
    db_session.commit()
    send_due(database, settings, sent.outbound_ids)
    # A correction of one of their messages, exported as training data under var/.
    message = db_session.get(Message, mine[3])
    operations.move(db_session, message, admin, intent="scheduling", now=utcnow())
    db_session.commit()
    corrections.write_jsonl(corrections.export(db_session), settings.var_dir / "corrections.jsonl", settings)
    db_session.expire_all()
    return History(role.id, erased_app.candidate_id, kept_app.candidate_id, mine, theirs, mine[3], batch.id, admin.id)


def kept_rows(db_session) -> int:
    return len(db_session.scalars(select(Message.id).where(Message.body_text.contains(KEPT_PHRASE))).all())


@pytest.fixture
def small(settings, database, keyword_model, make_role, make_application):
    """One candidate with two emails through the pipeline; returns the candidate's id."""
    role = make_role("Data Analyst")
    app = make_application(ERASED, role, name=ERASED_NAME, interview_at=datetime.now(UTC) - timedelta(days=20))
    make_application(KEPT, role, name=KEPT_NAME)
    ingest(
        settings,
        database,
        make_raw(sender=f"{ERASED_NAME} <{ERASED}>", subject="Data Analyst", body=f"any update? {PHRASE}"),
        make_raw(sender=f"{ERASED_NAME} <{ERASED}>", subject="Data Analyst", body="thank you for the interview"),
    )
    return app.candidate_id
