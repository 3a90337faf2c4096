"""Templates: unknown placeholders are refused when saved; rendering for a real candidate."""
from __future__ import annotations

from datetime import date

import pytest

from triage.outbound import templates
from triage.db import Template, TemplateKind
from triage.errors import BadInput


def save(db_session, **kw):
    fields = dict(name="T", kind="status_update", subject="{{ first_name }}: {{ role_title }}",
                  body_text="Hi {{ first_name }}", body_html=None, user_id=None)
    fields.update(kw)
    return templates.save(db_session, **fields)


def test_unknown_placeholder_is_refused_at_save(db_session):
    with pytest.raises(BadInput, match=r"unknown placeholder \{\{ salary \}\}"):
        save(db_session, body_text="Hi {{ first_name }}, your offer is {{ salary }}")


def test_unknown_placeholder_in_html_is_refused(db_session):
    with pytest.raises(BadInput, match="HTML body: unknown placeholder"):
        save(db_session, body_html="<p>{{ firstname }}</p>")


def test_syntax_error_is_refused(db_session):
    with pytest.raises(BadInput, match="text body"):
        save(db_session, body_text="Hi {{ first_name ")


def test_unknown_filter_is_refused(db_session):
    with pytest.raises(BadInput, match="filter"):
        save(db_session, body_text="Hi {{ first_name | shout }}")


def test_status_update_subject_must_name_candidate_and_role(db_session):
    with pytest.raises(BadInput, match="subject: must use"):
        save(db_session, subject="An update")


def test_a_valid_template_is_saved(db_session):
    template = save(db_session)
    db_session.commit()
    assert db_session.get(Template, template.id).kind == TemplateKind.status_update


def test_defaults_are_seeded_once_per_kind(db_session):
    first = templates.ensure_default_templates(db_session)
    again = templates.ensure_default_templates(db_session)
    assert sorted(t.kind.value for t in first) == sorted(k.value for k in templates.DEFAULT_NAMES) and again == []


def test_render_for_a_real_candidate(db_session, make_application, make_role):
    role = make_role(title="Data Analyst", reference="REQ-7")
    application = make_application(name="Ada Lovelace", role=role)
    templates.ensure_default_templates(db_session)
    template = templates.default_template(db_session, TemplateKind.status_update)
    rendered = templates.render(template, templates.context_for(
        application, next_update_on=date(2026, 12, 11), recruiter_name="Rita"))
    assert rendered.subject == "Ada, an update on Data Analyst (REQ-7)"
    assert "by Friday 11 December 2026" in rendered.body_text and "Rita" in rendered.body_text


def test_html_body_escapes_candidate_data(db_session, make_application):
    application = make_application(name="<b>Eve</b> Smith")
    template = save(db_session, body_html="<p>Hi {{ first_name }}</p>")
    rendered = templates.render(template, templates.context_for(application))
    assert rendered.body_html == "<p>Hi &lt;b&gt;Eve&lt;/b&gt;</p>"


def test_sandbox_blocks_python_internals(db_session, make_application):
    template = save(db_session, body_text="{{ first_name.__class__.__mro__ }}")
    with pytest.raises(BadInput):
        templates.render(template, templates.context_for(make_application()))
