"""Erasing a candidate leaves nothing of theirs: not in search, not in any table, not under var/."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.intake.conftest import make_raw
from tests.privacy.conftest import ERASED, ERASED_NAME, KEPT, KEPT_PHRASE, NEEDLES, PHRASE, ingest, kept_rows
from triage.classifier import corrections
from triage.db import AuditEvent, Base, Candidate, Erasure, Message
from triage.db.base import utcnow
from triage.db.privacy import address_hash
from triage.errors import NotFound
from triage.outbound import batches
from triage.privacy import erase
from triage.processing.matching import PREVIOUSLY_ERASED
from triage.web.inbox import search


def _erase(db_session, settings, candidate_id: int, user_id: int | None = None) -> erase.Erased:
    erased = erase.erase(db_session, settings, [candidate_id], user_id=user_id, reason="request", now=utcnow())
    db_session.commit()
    erase.remove_files(db_session, settings, erased)
    db_session.expire_all()
    return erased


def rows_holding(db_session, needles) -> list[str]:
    """Every text and binary value of every table, searched for the needles (lower-cased)."""
    found = []
    for table in Base.metadata.sorted_tables:
        for row in db_session.execute(select(table)).mappings():
            for column, value in row.items():
                text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                for needle in needles:
                    if needle in text.lower():
                        found.append(f"{table.name}.{column} holds {needle!r}")
    return found


def files_holding(folder: Path, needles) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes().lower()
            found += [f"{path.relative_to(folder)} holds {n!r}" for n in needles if n.encode() in data]
    return found


def found_by_search(db_session, q: str) -> int:
    query = select(func.count()).select_from(Message).outerjoin(Candidate, Candidate.id == Message.candidate_id)
    return db_session.scalar(query.where(search.matches(db_session, q)))


def test_the_history_holds_the_needles_before_the_erasure(db_session, settings, history):
    assert rows_holding(db_session, [PHRASE]) and files_holding(settings.var_dir, [ERASED, PHRASE])
    assert found_by_search(db_session, PHRASE) == 10 and found_by_search(db_session, ERASED) >= 10


def test_no_table_holds_their_address_name_or_phrase(db_session, settings, history):
    _erase(db_session, settings, history.erased_id, history.admin_id)
    assert rows_holding(db_session, NEEDLES) == []


def test_no_file_under_var_holds_them(db_session, settings, history):
    _erase(db_session, settings, history.erased_id)
    assert files_holding(settings.var_dir, NEEDLES) == []


def test_the_sqlite_file_itself_keeps_none_of_their_bytes(db_session, settings, history):
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL keeps dead tuples until VACUUM; its files are not ours to read")
    _erase(db_session, settings, history.erased_id)
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    assert files_holding(path.parent, [PHRASE, ERASED]) == []


@pytest.mark.parametrize("q", [ERASED, "Zebulon", PHRASE])
def test_search_finds_nothing_of_theirs(db_session, settings, history, q):
    _erase(db_session, settings, history.erased_id)
    assert found_by_search(db_session, q) == 0


def test_the_other_candidate_is_untouched(db_session, settings, history):
    before = rows_holding(db_session, [KEPT_PHRASE, KEPT])
    _erase(db_session, settings, history.erased_id)
    kept = db_session.get(Candidate, history.kept_id)
    assert (kept.email, kept_rows(db_session), found_by_search(db_session, KEPT_PHRASE)) == (KEPT, 3, 3)
    assert rows_holding(db_session, [KEPT_PHRASE, KEPT]) == before
    assert files_holding(settings.var_dir, [KEPT])  # their batch update is still in the sink


def test_the_retrain_training_set_lacks_the_corrected_example(db_session, settings, history):
    assert history.corrected in {r.message_id for r in corrections.export(db_session)}
    _erase(db_session, settings, history.erased_id)
    assert corrections.export(db_session) == []


def test_aggregate_counts_stay_true(db_session, settings, history):
    def figures():
        progress = batches.progress(db_session, history.batch_id)
        chasers = db_session.scalar(
            select(func.count()).where(Message.role_id == history.role_id, Message.is_chaser.is_(True))
        )
        messages = db_session.scalar(select(func.count()).select_from(Message))
        return progress["total"], progress["sent"], chasers, messages

    before = figures()
    _erase(db_session, settings, history.erased_id)
    assert figures() == before


def test_an_audit_row_says_who_erased_and_when_without_the_data(db_session, settings, history):
    _erase(db_session, settings, history.erased_id, history.admin_id)
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate.erase_person"))
    assert (event.user_id, event.target_id, event.details["messages"]) == (history.admin_id, history.erased_id, 10)


def test_only_a_keyed_hash_of_the_address_is_kept(db_session, settings, history):
    _erase(db_session, settings, history.erased_id)
    erasure = db_session.scalar(select(Erasure))
    assert erasure.address_hash != address_hash("another key" * 4, ERASED)
    assert ERASED not in erasure.address_hash and len(erasure.address_hash) == 64


def test_mail_from_the_address_later_starts_fresh_and_is_flagged(db_session, settings, database, history):
    _erase(db_session, settings, history.erased_id)
    [new] = ingest(settings, database, make_raw(sender=f"{ERASED_NAME} <{ERASED}>", body="any update?"))
    message = db_session.get(Message, new)
    assert message.candidate_id != history.erased_id and PREVIOUSLY_ERASED in message.reasons


def test_mail_from_another_address_is_not_flagged(db_session, settings, database, history):
    _erase(db_session, settings, history.erased_id)
    [new] = ingest(settings, database, make_raw(sender="Someone New <new.person@example.org>", body="any update?"))
    assert PREVIOUSLY_ERASED not in db_session.get(Message, new).reasons


def test_erasing_an_unknown_address_is_a_clear_error(db_session):
    with pytest.raises(NotFound, match="no candidate"):
        erase.find(db_session, "nobody@example.org")
