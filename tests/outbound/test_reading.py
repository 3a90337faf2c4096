"""Outgoing mail reads well: every shipped template, filled for a real candidate in each use, reads
as a person wrote it; the From line names the sender; subjects are never empty nor "Re: Re:"."""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

import pytest

from triage.db import TemplateKind
from triage.outbound import mime, outbox, templates, unfilled

NEXT_UPDATE = date(2099, 12, 11)
# What a person types over a shipped instruction before sending.
FILLED_IN = {
    "[[Write the feedback here.]]": "Your case study was strong; the panel wanted more depth on testing strategy.",
    "[[Say what you need.]]": "a copy of your right-to-work document.",
}
READS_BADLY = [
    (re.compile(r"(?i)\bre:\s*re:"), "a doubled Re:"),
    (re.compile(r"[^\S\n]{2,}"), "two spaces in a row"),
    (re.compile(r"\s[,.;:](?!\w)"), "a space before punctuation"),
    (re.compile(r"(?i)\b(\w+) \1\b"), "a doubled word"),
    (re.compile(r"\(\s*\)"), "empty brackets"),
    (re.compile(r"(?i)\bnone\b|\bnull\b|\bundefined\b"), "a programming value"),
    (re.compile(r"(?i)your message about"), "'your message about' a role"),
]


@pytest.fixture
def emails(db_session, make_application, make_role, make_message, make_user):
    """emails(use) -> {kind: Rendered} for every shipped template, as a candidate would get them."""
    owner = make_user("recruiter")
    owner.name = "Priya Shah"
    role = make_role(title="QA Engineer", reference="REQ-1045", next_update_on=NEXT_UPDATE, owner_id=owner.id)
    application = make_application(name="Ada Lovelace", role=role)
    message = make_message(application, subject="Any update on my application?")
    templates.ensure_default_templates(db_session)
    db_session.commit()

    def build(use: str) -> dict[TemplateKind, templates.Rendered]:
        if use == "reply":
            values = templates.reply_context(message, owner, today=date(2026, 12, 1))
        else:
            values = templates.context_for(
                application, next_update_on=NEXT_UPDATE, original_subject=message.subject or ""
            )
        out = {}
        for kind in templates.DEFAULT_NAMES:
            rendered = templates.render(templates.default_template(db_session, kind), values)
            text, html = rendered.body_text, rendered.body_html
            for mark, words in FILLED_IN.items():
                text, html = text.replace(mark, words), html.replace(mark, words)
            subject = mime.reply_subject(rendered.subject) if rendered.subject.startswith("Re:") else rendered.subject
            out[kind] = templates.with_privacy_notice(
                templates.Rendered(subject, text, html), "https://acme.example/privacy"
            )
        return out

    return build


USES = ["batch or acknowledgement", "reply"]
KINDS = list(templates.DEFAULT_NAMES)


@pytest.mark.parametrize("use", USES)
@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.value)
def test_a_shipped_template_leaves_nothing_unfilled(emails, kind, use):
    email = emails(use)[kind]
    assert unfilled.problems(email.subject, email.body_text, email.body_html) == []


@pytest.mark.parametrize("use", USES)
@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.value)
def test_a_shipped_template_reads_as_a_person_wrote_it(emails, kind, use):
    email = emails(use)[kind]
    found = [
        f"{what} in {part!r}"
        for part in (email.subject, email.body_text)
        for pattern, what in READS_BADLY
        if pattern.search(part)
    ]
    assert found == []


@pytest.mark.parametrize("use", USES)
@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.value)
def test_a_shipped_template_greets_the_candidate_and_is_signed(emails, kind, use):
    text = emails(use)[kind].body_text
    signed = text.split("How we look after")[0].strip().splitlines()[-1]
    assert text.startswith("Hello Ada,") and signed == "Priya Shah"


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.value)
def test_a_shipped_subject_names_the_role(emails, kind):
    subject = emails("batch or acknowledgement")[kind].subject
    assert subject.strip() and ("QA Engineer" in subject or subject.startswith("Re: Any update"))


def test_the_acknowledgement_names_the_role_properly(emails):
    assert "about the QA Engineer role" in emails("batch or acknowledgement")[TemplateKind.acknowledgement].body_text


def test_the_privacy_line_links_the_notice_in_text_and_html(emails):
    email = emails("batch or acknowledgement")[TemplateKind.status_update]
    assert "https://acme.example/privacy" in email.body_text and 'href="https://acme.example/privacy"' in (
        email.body_html or ""
    )


def test_no_privacy_line_without_a_notice():
    rendered = templates.Rendered("S", "Body", "<p>Body</p>")
    assert templates.with_privacy_notice(rendered, "") == rendered


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Any update?", "Re: Any update?"),
        ("Re: Any update?", "Re: Any update?"),
        ("RE: Re: AW: Any update?", "Re: Any update?"),
        ("", "Re: your message"),
        ("Re:", "Re: your message"),
    ],
)
def test_a_reply_subject_has_one_re_and_is_never_empty(subject, expected):
    assert mime.reply_subject(subject) == expected


@pytest.mark.parametrize(
    ("person", "organisation", "expected"),
    [
        ("Priya Shah", "Acme Careers", "Priya Shah via Acme Careers"),
        ("Priya Shah", "", "Priya Shah"),
        ("", "Acme Careers", "Acme Careers"),
    ],
)
def test_the_from_name_says_who_sends_for_whom(person, organisation, expected):
    assert outbox.sender_name(SimpleNamespace(organisation_name=organisation), person) == expected


def test_a_reply_row_carries_the_sender_name(db_session, settings, make_application, make_message, make_user):
    user = make_user("recruiter")
    user.name = "Priya Shah"
    db_session.commit()
    message = make_message(make_application())
    row = outbox.create_reply(
        db_session, settings, message_id=message.id, subject="Re: Re: Any update?", body_text="Hi", user_id=user.id
    )
    assert (row.from_name, row.subject) == ("Priya Shah", "Re: Any update?")
