"""The reply composer: shipped templates open filled through the one template system."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from triage.db import Template
from triage.outbound import templates


@pytest.fixture
def open_composer(client, login, make_user, make_role, make_application, make_candidate, make_message, db_session):
    """open_composer(template_name, next_update_on=...) -> (status, page) of the reply form with it chosen."""

    def open_(template_name: str, next_update_on: date | None = date(2099, 12, 11)):
        role = make_role("Staff Nurse", next_update_on=next_update_on)
        message = make_message(application=make_application(role, make_candidate("Grace Hopper")))
        templates.ensure_default_templates(db_session)
        db_session.commit()
        template = db_session.scalar(select(Template).where(Template.name == template_name))
        login(make_user())
        response = client.get(f"/messages/{message.id}/compose?template={template.id}", headers={"HX-Request": "true"})
        return response.status_code, response.get_data(as_text=True)

    return open_


@pytest.mark.parametrize("name", ["Status update", "Acknowledgement"])
def test_a_shipped_template_with_the_next_update_date_opens_filled(open_composer, name):
    status, page = open_composer(name)
    assert (status, "Hello Grace," in page, "Friday 11 December 2099" in page, "{{" in page) == (200, True, True, False)


def test_a_template_the_role_cannot_fill_says_which_value_is_missing(open_composer):
    status, page = open_composer("Status update", next_update_on=None)
    assert status == 200 and 'role="alert"' in page and "{{ next_update_date }}" in page and "Hello Grace" not in page


def test_a_stored_template_that_could_run_away_is_refused_in_the_composer(
    client, login, make_user, make_role, make_application, make_candidate, make_message, db_session
):
    # Written straight to the table: save() refuses it, but an old or hand-edited row must not run.
    template = Template(name="Runaway", kind="reply", subject="Re", body_text="{{ 9**(9**8) }}")
    db_session.add(template)
    db_session.commit()
    message = make_message(application=make_application(make_role(), make_candidate("Grace Hopper")))
    login(make_user())
    response = client.get(f"/messages/{message.id}/compose?template={template.id}", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "the ** operator is not allowed in email templates" in response.get_data(
        as_text=True
    )


def test_a_template_choice_that_is_not_an_id_is_a_400(client, login, make_user, make_role, make_message):
    message = make_message(role=make_role())
    login(make_user())
    assert client.get(f"/messages/{message.id}/compose?template=%C2%B2").status_code == 400


@pytest.mark.parametrize("name, ticked", [("Request for information", True), ("Status update", False)])
def test_a_request_for_information_opens_with_asks_ticked(open_composer, name, ticked):
    # Unticked, the candidate's answer would not count as the answer to our request (Today).
    status, page = open_composer(name)
    box = re.search(r'<input type="checkbox" name="asks_for_info"[^>]*>', page).group(0)
    assert (status, "checked" in box) == (200, ticked)
