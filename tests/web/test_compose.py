"""The reply composer: shipped templates open filled through the one template system."""

from __future__ import annotations

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
