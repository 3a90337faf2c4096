"""Every shipped template, in every use: filled completely, nothing of the template syntax left over."""

from __future__ import annotations

import re
from datetime import date

import pytest

from triage.db import TemplateKind
from triage.outbound import templates

NEXT_UPDATE = date(2099, 12, 11)
LEFTOVER = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}|\b(?:" + "|".join(templates.PLACEHOLDERS) + r")\b")


@pytest.fixture
def context(db_session, make_application, make_role, make_message, make_user):
    """context(use) -> the placeholders' values for a batch or acknowledgement, or for a reply."""
    role = make_role(title="Data Analyst", reference="REQ-7", next_update_on=NEXT_UPDATE)
    application = make_application(name="Ada Lovelace", role=role)
    message = make_message(application, subject="Any news?")

    def build(use: str) -> dict:
        if use == "reply":
            return templates.reply_context(message, make_user(), today=date(2026, 12, 1))
        return templates.context_for(
            application, next_update_on=NEXT_UPDATE, recruiter_name="Rita", original_subject="Any news?"
        )

    return build


def test_every_file_under_templates_emails_is_a_shipped_kind():
    names = {path.name for path in templates.EMAILS_DIR.iterdir()}
    shipped = {f"{kind.value}.{ext}" for kind in templates.DEFAULT_NAMES for ext in ("txt", "html")}
    assert names == shipped


def test_every_template_kind_but_a_free_reply_has_a_shipped_default():
    assert set(templates.DEFAULT_NAMES) == set(TemplateKind) - {TemplateKind.reply}


@pytest.mark.parametrize("use", ["batch or acknowledgement", "reply"])
@pytest.mark.parametrize("kind", list(templates.DEFAULT_NAMES), ids=lambda kind: kind.value)
def test_a_shipped_template_renders_every_placeholder_it_uses(db_session, context, kind, use):
    templates.ensure_default_templates(db_session)
    template = templates.default_template(db_session, kind)
    values = context(use)
    rendered = templates.render(template, values)
    parts = (rendered.subject, rendered.body_text, rendered.body_html)
    used = templates.compiled(template).uses
    assert [part for part in parts if LEFTOVER.search(part)] == [] and all(
        any(values[name] in part for part in parts) for name in used
    )
