""" "Same person as ...": a candidate's second address is merged in from Review; their mail is then routed normally."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tests.intake.conftest import make_raw
from triage.db import Application, AuditEvent, Candidate, CandidateAddress, Channel, Lane, Message, MessageState
from triage.db.base import utcnow
from triage.db.privacy import Erasure, address_hash
from triage.intake.accept import Delivery, accept_many
from triage.privacy import erase
from triage.processing import pipeline

GMAIL = "ada.personal@gmail.example"


def _ingest(settings, database, raw: bytes) -> Message:
    [accepted] = accept_many(database, [Delivery(raw, Channel.http)], None)
    pipeline.run(database, settings, [accepted.id])
    with database.session() as s:
        return s.get(Message, accepted.id)


def _thanks(sender: str = f"Ada <{GMAIL}>", to: str = "jobs@triage.localhost") -> bytes:
    return make_raw(sender=sender, to=to, body="Thank you for the interview.", date=datetime.now(UTC))


def _merge(client, csrf, message_id: int, candidate_id: int):
    token = csrf(f"/messages/{message_id}")
    return client.post(
        f"/hiring/messages/{message_id}/same-person", data={"candidate_id": candidate_id, "csrf_token": token}
    )


def _state(database, message_id: int):
    with database.session() as s:
        m = s.get(Message, message_id)
        return m.lane, m.state, m.candidate_id, m.application_id


def test_merging_routes_the_message_out_of_review_and_later_mail_is_matched(
    settings, database, keyword_model, make_role, make_application, client, login, make_user, csrf
):
    role = make_role("Data Analyst")
    app = make_application(role, "interviewed", email="ada@corp.example")
    message = _ingest(settings, database, _thanks())
    assert message.lane == Lane.review
    recruiter = make_user()
    login(recruiter)

    page = client.get(f"/messages/{message.id}?same_as=LOVELACE").get_data(as_text=True)
    assert "Same person as" in page and "ada@corp.example" in page and 'id="same-person-merge"' in page
    reply = _merge(client, csrf, message.id, app.candidate_id)
    assert reply.status_code == 302
    assert "routed again" in client.get(reply.location).get_data(as_text=True)

    pipeline.run(database, settings, [message.id])  # what the enqueued job does
    assert _state(database, message.id) == (Lane.fyi, MessageState.triaged, app.candidate_id, app.id)
    with database.session() as s:
        extra = s.scalar(select(CandidateAddress).where(CandidateAddress.address == GMAIL))
        assert (extra.candidate_id, extra.created_by_id) == (app.candidate_id, recruiter.id)
        # The candidate matching made for the unknown address is folded in, not left behind.
        assert s.scalar(select(Candidate).where(Candidate.email == GMAIL)) is None
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "sender.same_person"))
        assert (event.user_id, event.target_id, event.details["candidate_id"]) == (
            recruiter.id,
            message.id,
            app.candidate_id,
        )
        assert GMAIL not in str(event.details) and "interview" not in str(event.details)

    later = _ingest(settings, database, _thanks(sender=GMAIL.upper()))
    assert (later.candidate_id, later.application_id, later.role_id) == (app.candidate_id, app.id, role.id)
    assert later.lane != Lane.review


def test_the_sender_s_other_review_messages_are_routed_again(
    settings, database, keyword_model, make_role, make_application, client, login, make_user, csrf
):
    role = make_role("Data Analyst")
    app = make_application(role, "interviewed", email="ada@corp.example")
    first = _ingest(settings, database, _thanks())
    second = _ingest(settings, database, _thanks())
    assert (first.lane, second.lane) == (Lane.review, Lane.review)
    login(make_user())
    assert _merge(client, csrf, first.id, app.candidate_id).status_code == 302
    with database.session() as s:
        assert {s.get(Message, i).state for i in (first.id, second.id)} == {MessageState.received}
    pipeline.run(database, settings, [first.id, second.id])
    assert _state(database, second.id)[2:] == (app.candidate_id, app.id)


def test_a_line_manager_merges_only_into_candidates_of_her_roles(
    settings, database, keyword_model, make_role, make_application, client, login, make_user, csrf
):
    hers, other = make_role("Data Analyst"), make_role("Backend Engineer")
    mine = make_application(hers, "interviewed", email="ada@corp.example")
    theirs = make_application(other, "interviewed", email="bob@corp.example")
    # Sent to her role's address: the message has her role, so she sees it in Review.
    message = _ingest(settings, database, _thanks(to=f"jobs+{hers.reference}@triage.localhost"))
    assert (message.lane, message.role_id) == (Lane.review, hers.id)
    login(make_user("line_manager", roles=[hers]))

    page = client.get(f"/messages/{message.id}?same_as=corp.example").get_data(as_text=True)
    assert "ada@corp.example" in page and "bob@corp.example" not in page
    assert "Add as applicant" not in page  # adding applicants stays the recruiters'
    assert _merge(client, csrf, message.id, theirs.candidate_id).status_code == 404
    with database.session() as s:
        assert s.scalar(select(CandidateAddress)) is None
    assert _merge(client, csrf, message.id, mine.candidate_id).status_code == 302
    with database.session() as s:
        assert s.scalar(select(CandidateAddress.candidate_id)) == mine.candidate_id


def test_a_line_manager_cannot_merge_a_message_she_may_not_see(
    settings, database, keyword_model, make_role, make_application, client, login, make_user, csrf
):
    hers = make_role("Data Analyst")
    mine = make_application(hers, "interviewed", email="ada@corp.example")
    message = _ingest(settings, database, _thanks())  # no role: the recruiters' Review
    login(make_user("line_manager", roles=[hers]))
    assert _merge(client, csrf, message.id, mine.candidate_id).status_code == 404
    assert _state(database, message.id)[0] == Lane.review


def test_merging_needs_the_csrf_token(
    settings, database, keyword_model, make_role, make_application, client, login, make_user
):
    app = make_application(make_role(), "interviewed", email="ada@corp.example")
    message = _ingest(settings, database, _thanks())
    login(make_user())
    reply = client.post(f"/hiring/messages/{message.id}/same-person", data={"candidate_id": app.candidate_id})
    assert reply.status_code == 400
    assert _state(database, message.id)[:2] == (Lane.review, MessageState.triaged)
    with database.session() as s:
        assert s.scalar(select(CandidateAddress)) is None


@pytest.mark.parametrize("bob_owns", ["main address", "extra address"])
def test_an_address_of_another_candidate_is_refused(
    bob_owns, settings, database, keyword_model, make_role, make_application, client, login, make_user, csrf, db_session
):
    first, second = make_role("Data Analyst"), make_role("Backend Engineer")
    ada = make_application(first, "interviewed", email="ada@corp.example")
    # Bob applies to two roles, so a message from him that names neither lands in Review.
    bob = make_application(first, "interviewed", email="bob@corp.example")
    db_session.add(Application(candidate_id=bob.candidate_id, role_id=second.id))
    sender = "bob@corp.example"
    if bob_owns == "extra address":
        sender = "bob@home.example"
        db_session.add(CandidateAddress(candidate_id=bob.candidate_id, address=sender))
    db_session.commit()
    message = _ingest(settings, database, _thanks(sender=sender))
    assert (message.lane, message.candidate_id) == (Lane.review, bob.candidate_id)
    login(make_user())
    reply = _merge(client, csrf, message.id, ada.candidate_id)
    assert reply.status_code == 400
    assert "already belongs to another candidate" in reply.get_data(as_text=True)
    assert _state(database, message.id)[:3] == (Lane.review, MessageState.triaged, bob.candidate_id)
    with database.session() as s:
        assert s.scalars(select(CandidateAddress.candidate_id)).all() == (
            [bob.candidate_id] if bob_owns == "extra address" else []
        )


def test_erasing_a_candidate_leaves_none_of_their_extra_addresses(settings, make_role, make_application, db_session):
    app = make_application(make_role(), "interviewed", email="ada@corp.example")
    other = make_application(make_role(), "interviewed", email="bob@corp.example")
    for address in ("ada@home.example", "ada@gmail.example"):
        db_session.add(CandidateAddress(candidate_id=app.candidate_id, address=address))
    db_session.add(CandidateAddress(candidate_id=other.candidate_id, address="bob@home.example"))
    db_session.commit()
    erase.erase(db_session, settings, [app.candidate_id], user_id=None, reason="request", now=utcnow())
    db_session.commit()
    left = db_session.scalars(select(CandidateAddress.address)).all()
    assert left.count("bob@home.example") == 1 and not {a for a in left if a and "ada" in a}


def test_an_erased_candidates_extra_address_is_deleted_and_remembered(
    settings, make_role, make_application, db_session
):
    app = make_application(make_role(), "interviewed", email="ada@corp.example")
    db_session.add(CandidateAddress(candidate_id=app.candidate_id, address="ada@home.example"))
    db_session.commit()
    erase.erase(db_session, settings, [app.candidate_id], user_id=None, reason="request", now=utcnow())
    db_session.commit()
    rows = db_session.scalar(select(func.count()).select_from(CandidateAddress))
    hashes = set(db_session.scalars(select(Erasure.address_hash)))
    assert (rows, address_hash(settings.secret_key, "ada@home.example") in hashes) == (0, True)
