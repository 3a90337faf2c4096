"""Corrections on the admin model page: who moved which message, and withdrawing a wrong one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from triage.classifier import corrections
from triage.db import AuditEvent, Correction
from triage.inbox import operations


@pytest.fixture
def corrected(db_session, make_user, make_message):
    """corrected(subject, to_intent, by=None) -> the Correction of a message moved by a recruiter."""
    recruiter = make_user("recruiter")

    def build(subject: str = "Re: offer", to_intent: str = "offer_response", by=None) -> Correction:
        message = make_message(subject=subject, intent="thank_you")
        correction = operations.move(db_session, message, by or recruiter, intent=to_intent, now=datetime.now(UTC))
        db_session.commit()
        return correction

    return build


def withdraw_events(db_session) -> list[AuditEvent]:
    return list(db_session.scalars(select(AuditEvent).where(AuditEvent.action == "correction.withdraw")))


def test_the_model_page_lists_who_moved_which_message_to_which_intent(client, login, make_user, corrected):
    correction = corrected("Re: the offer letter", "offer_response")
    login(make_user("admin"))
    page = client.get("/admin/model").get_data(as_text=True)
    row = page.split(f'id="correction-{correction.id}"', 1)[1].split("</tr>", 1)[0]
    assert ("Recruiter" in row, "Re: the offer letter" in row, "thank_you → offer_response" in row) == (
        True,
        True,
        True,
    )


def test_the_list_can_show_one_persons_corrections(client, login, make_user, corrected):
    other = make_user("recruiter", email="other@example.com")
    mine, theirs = corrected("Re: mine"), corrected("Re: theirs", by=other)
    login(make_user("admin"))
    page = client.get(f"/admin/model?by={other.id}").get_data(as_text=True)
    assert (f'id="correction-{theirs.id}"' in page, f'id="correction-{mine.id}"' in page) == (True, False)


def test_the_list_pages_back_to_older_corrections(client, login, make_user, corrected, monkeypatch):
    from triage.web import models_admin

    monkeypatch.setattr(models_admin, "PAGE", 2)
    oldest, middle, newest = corrected("Re: one"), corrected("Re: two"), corrected("Re: three")
    login(make_user("admin"))
    first = client.get("/admin/model").get_data(as_text=True)
    second = client.get(f"/admin/model?before={middle.id}").get_data(as_text=True)
    assert (
        [f'id="correction-{c.id}"' in first for c in (newest, middle, oldest)],
        f"before={middle.id}" in first,
        [f'id="correction-{c.id}"' in second for c in (newest, middle, oldest)],
    ) == ([True, True, False], True, [False, False, True])


def test_an_admin_withdraws_a_correction_and_it_is_audited(client, login, make_user, corrected, db_session, csrf):
    correction = corrected()
    admin = make_user("admin")
    login(admin)
    response = client.post(
        f"/admin/model/corrections/{correction.id}/withdraw", data={"csrf_token": csrf("/admin/model")}
    )
    db_session.expire_all()
    [event] = withdraw_events(db_session)
    assert (
        response.status_code,
        correction.withdrawn_by,
        event.user_id,
        event.target_id,
        event.details["to_intent"],
    ) == (303, admin.id, admin.id, correction.id, "offer_response")


def test_a_withdrawn_correction_stays_listed_as_withdrawn(client, login, make_user, corrected, csrf):
    correction = corrected()
    login(make_user("admin"))
    client.post(f"/admin/model/corrections/{correction.id}/withdraw", data={"csrf_token": csrf("/admin/model")})
    page = client.get("/admin/model").get_data(as_text=True)
    row = page.split(f'id="correction-{correction.id}"', 1)[1].split("</tr>", 1)[0]
    assert ("withdrawn" in row, "Withdraw</button>" in row) == (True, False)


def test_withdrawing_twice_records_one_withdrawal(client, login, make_user, corrected, db_session, csrf):
    correction = corrected()
    login(make_user("admin"))
    for _ in range(2):
        client.post(f"/admin/model/corrections/{correction.id}/withdraw", data={"csrf_token": csrf("/admin/model")})
    assert len(withdraw_events(db_session)) == 1


def test_withdrawing_an_unknown_correction_is_not_found(client, login, make_user, csrf):
    login(make_user("admin"))
    response = client.post("/admin/model/corrections/999999/withdraw", data={"csrf_token": csrf("/admin/model")})
    assert response.status_code == 404


def test_withdrawing_without_the_csrf_token_is_refused(client, login, make_user, corrected, db_session):
    correction = corrected()
    login(make_user("admin"))
    response = client.post(f"/admin/model/corrections/{correction.id}/withdraw", data={})
    db_session.expire_all()
    assert (response.status_code, correction.withdrawn_at) == (400, None)


def test_a_line_manager_cannot_see_the_corrections(client, login, make_user, make_role, corrected):
    corrected()
    login(make_user("line_manager", roles=[make_role()]))
    assert client.get("/admin/model").status_code == 403


@pytest.mark.parametrize("role", ["line_manager", "recruiter"])
def test_only_an_admin_can_withdraw_a_correction(
    role, client, login, make_user, make_role, corrected, db_session, csrf
):
    correction = corrected()
    login(make_user(role, roles=[make_role()] if role == "line_manager" else ()))
    response = client.post(f"/admin/model/corrections/{correction.id}/withdraw", data={"csrf_token": csrf()})
    db_session.expire_all()
    assert (response.status_code, correction.withdrawn_at, withdraw_events(db_session)) == (403, None, [])


def test_a_withdrawn_correction_no_longer_waits_for_the_next_retrain(
    client, login, make_user, corrected, db_session, csrf
):
    kept, withdrawn = corrected("Re: kept"), corrected("Re: poisoned")
    login(make_user("admin"))
    client.post(f"/admin/model/corrections/{withdrawn.id}/withdraw", data={"csrf_token": csrf("/admin/model")})
    assert ([r.message_id for r in corrections.export(db_session)], corrections.unused_count(db_session)) == (
        [kept.message_id],
        1,
    )
