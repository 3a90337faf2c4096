"""Templates: unknown placeholders are refused when saved; rendering for a real candidate."""

from __future__ import annotations

import re
from datetime import date

import pytest

from triage.db import Template, TemplateKind
from triage.errors import BadInput
from triage.outbound import templates


def save(db_session, **kw):
    fields = dict(
        name="T",
        kind="status_update",
        subject="{{ first_name }}: {{ role_title }}",
        body_text="Hi {{ first_name }}",
        body_html=None,
        user_id=None,
    )
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
    rendered = templates.render(
        template, templates.context_for(application, next_update_on=date(2026, 12, 11), recruiter_name="Rita")
    )
    assert rendered.subject == "Ada, an update on the Data Analyst role (REQ-7)"
    assert "by Friday 11 December 2026" in rendered.body_text and "Rita" in rendered.body_text


def test_html_body_escapes_candidate_data(db_session, make_application):
    application = make_application(name="<b>Eve</b> Smith")
    template = save(db_session, body_html="<p>Hi {{ first_name }}</p>")
    rendered = templates.render(template, templates.context_for(application))
    assert rendered.body_html == "<p>Hi &lt;b&gt;Eve&lt;/b&gt;</p>"


def test_sandbox_blocks_python_internals(db_session):
    with pytest.raises(BadInput, match="attribute access"):
        save(db_session, body_text="{{ first_name.__class__.__mro__ }}")


# Each of these held a worker from seconds to minutes before templates were walked first.
RUNAWAY = {
    "power": ("{{ 9**(9**8) }}", r"the \*\* operator is not allowed"),
    "nested loops": (
        "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
        "loops .* are not allowed",
    ),
    "repeated string": ('{{ "x" * 10**9 }}', r"arithmetic \(the \* operator\) is not allowed"),
    "multiplied string": ('{{ "x" * 1000000000 }}', "the number 1000000000 is too large"),
    "huge literal": ("{{ " + "9" * 4000 + " }}", "is too large for an email template"),
    "literal past Python's limit": ("{{ " + "9" * 5000 + " }}", "too large for an email template"),
}


@pytest.mark.parametrize("name", sorted(RUNAWAY))
def test_validate_refuses_a_template_that_could_run_away(name):
    source, reason = RUNAWAY[name]
    errors = templates.validate("feedback", "Hi {{ first_name }}", source, None)
    assert [e for e in errors if re.search(reason, e)], errors


def test_calling_range_is_refused_by_name():
    assert "text body: calling range() is not allowed in email templates" in templates.validate(
        "feedback", "Hi", "{{ range(10) }}", None
    )


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("{% set a = first_name %}{{ a }}", "{% set %} is not allowed"),
        ("{{ first_name|center(1000000) }}", "the filter |center is not allowed"),
        ("{{ first_name[0] }}", "indexing"),
        ("{% autoescape false %}{{ first_name }}{% endautoescape %}", "{% autoescape %} is not allowed"),
        ("{% macro m() %}x{% endmacro %}{{ m() }}", "macros are not allowed"),
        ("{{ first_name + first_name }}", "arithmetic (the + operator)"),
        ("{{ " + "(" * 200 + "first_name" + ")" * 200 + " }}", "nested too deeply"),
    ],
)
def test_validate_refuses_what_an_email_template_does_not_need(source, reason):
    assert any(reason in e for e in templates.validate("feedback", "Hi", source, None))


def test_placeholders_conditions_and_simple_filters_are_allowed():
    source = (
        "{% if stage == 'interviewed' and first_name is defined %}Dear {{ first_name|title }}{% else %}Hello"
        "{% endif %}, {{ role_title|upper ~ ' (' ~ role_reference ~ ')' }} {{ stage in ['offer', 'hired'] }}"
    )
    assert (
        templates.validate("feedback", "Hi {{ first_name|default('there') }}", source, "<p>{{ full_name }}</p>") == []
    )


def test_a_stored_template_that_could_run_away_is_refused_at_render(db_session, make_application):
    # Written straight to the table, as only a hand edit (or a row older than the walk) could be.
    template = Template(name="runaway", kind="feedback", subject="Hi", body_text="{{ 9**(9**8) }}")
    db_session.add(template)
    db_session.commit()
    with pytest.raises(BadInput, match=r"'runaway' cannot be rendered: text body: the \*\* operator is not allowed"):
        templates.render(template, templates.context_for(make_application()))


def test_a_render_past_the_output_cap_is_refused(db_session, make_application):
    template = save(db_session, body_text="{{ full_name }}" * 2000)
    application = make_application(name="A" * 100)  # 2,000 × 100 characters: twice the cap
    with pytest.raises(BadInput, match="would make a text body over 100 KB"):
        templates.render(template, templates.context_for(application))


def test_a_filter_given_arguments_it_cannot_use_is_refused_not_a_crash(db_session, make_application):
    template = save(db_session, body_text="{{ first_name|truncate(1) }}")
    with pytest.raises(BadInput, match="cannot fill its text body"):
        templates.render(template, templates.context_for(make_application()))


@pytest.mark.parametrize("kind", list(templates.DEFAULT_NAMES), ids=lambda kind: kind.value)
def test_every_shipped_template_passes_the_walk(kind):
    assert templates.validate(kind, *templates.read_default(kind)) == []


FAR = date(2099, 12, 11)  # a Friday, never in the past for the reply checks
TODAY = date(2026, 12, 1)


def test_a_reply_names_the_candidate_role_next_update_and_sender(
    db_session, make_application, make_role, make_message, make_user
):
    application = make_application(
        name="Ada Lovelace", role=make_role(title="Data Analyst", reference="REQ-7", next_update_on=FAR)
    )
    context = templates.reply_context(make_message(application, subject="Any news?"), make_user(), today=TODAY)
    assert context == {
        "first_name": "Ada",
        "full_name": "Ada Lovelace",
        "role_title": "Data Analyst",
        "role_reference": "REQ-7",
        "stage": "interviewed",
        "next_update_date": "Friday 11 December 2099",
        "recruiter_name": "Recruiter",
        "original_subject": "Any news?",
    }


def test_a_reply_without_a_candidate_is_addressed_to_the_original_sender_not_the_forwarder(
    db_session, make_role, make_message, make_user
):
    message = make_message(
        role_id=make_role().id,
        from_name="Rita Recruiter",
        from_address="rita@acme.example",
        original_from_name="Grace Hopper",
        original_from_address="grace@example.org",
    )
    context = templates.reply_context(message, make_user(), today=TODAY)
    assert (context["first_name"], context["full_name"]) == ("Grace", "Grace Hopper")


def test_a_reply_template_needing_a_next_update_date_the_role_lacks_is_refused_naming_it(
    db_session, make_application, make_role, make_message, make_user
):
    application = make_application(role=make_role(reference="REQ-8"))
    templates.ensure_default_templates(db_session)
    template = templates.default_template(db_session, TemplateKind.status_update)
    with pytest.raises(BadInput, match=r"needs \{\{ next_update_date \}\}, but role REQ-8 .* has no next update date"):
        templates.render(template, templates.reply_context(make_message(application), make_user(), today=TODAY))


def test_a_reply_template_promising_a_past_next_update_date_is_refused(
    db_session, make_application, make_role, make_message, make_user
):
    application = make_application(role=make_role(next_update_on=date(2026, 11, 27)))
    templates.ensure_default_templates(db_session)
    template = templates.default_template(db_session, TemplateKind.acknowledgement)
    with pytest.raises(BadInput, match=r"Friday 27 November 2026, has passed"):
        templates.render(template, templates.reply_context(make_message(application), make_user(), today=TODAY))


def test_a_template_not_using_the_missing_date_still_renders(
    db_session, make_application, make_role, make_message, make_user
):
    application = make_application(name="Ada Lovelace", role=make_role())
    templates.ensure_default_templates(db_session)
    template = templates.default_template(db_session, TemplateKind.rejection)
    rendered = templates.render(template, templates.reply_context(make_message(application), make_user(), today=TODAY))
    assert rendered.body_text.startswith("Hello Ada,")


def test_a_batch_context_without_any_next_update_date_is_refused_too(db_session, make_application):
    template = save(db_session, body_text="We will write by {{ next_update_date }}.")
    with pytest.raises(BadInput, match=r"next_update_date"):
        templates.render(template, templates.context_for(make_application()))


def test_an_old_composer_placeholder_in_a_stored_template_is_refused_naming_it(
    db_session, make_application, make_role, make_message, make_user
):
    # Written straight to the table, as only a hand edit could: save() refuses old names.
    template = Template(name="old", kind="reply", subject="Re", body_text="Dear {{ candidate_name }},")
    db_session.add(template)
    db_session.commit()
    message = make_message(make_application(role=make_role(next_update_on=FAR)))
    with pytest.raises(BadInput, match="'candidate_name' is undefined"):
        templates.render(template, templates.reply_context(message, make_user(), today=TODAY))
