"""Email templates: placeholders checked when a template is saved, rendered for a real candidate.

Jinja2's SandboxedEnvironment with StrictUndefined rather than a home-made {placeholder}
syntax: it is a well-kept library, the .html body gets autoescaping (a candidate called
"<b>Ann</b>" stays text), `jinja2.meta` lists every variable a template uses so an unknown
placeholder is refused at save time, and the sandbox keeps an admin-edited template from
reaching Python internals. Templates see plain strings only.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime

from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select
from sqlalchemy.orm import Session

from triage import ROOT
from triage.db import audit
from triage.db import Application, Template, TemplateKind
from triage.db.base import utcnow
from triage.errors import BadInput

PLACEHOLDERS: dict[str, str] = {
    "first_name": "the candidate's first name",
    "full_name": "the candidate's full name",
    "role_title": "the role's title",
    "role_reference": "the role's reference, e.g. REQ-1042",
    "stage": "the application's stage",
    "next_update_date": "the date of the role's next update, e.g. Friday 12 December 2026",
    "recruiter_name": "the name of the person sending",
    "original_subject": "the subject of the candidate's message (replies and acknowledgements)",
}
# Batch updates must be told apart in the candidate's mailbox and thread to the right person.
SUBJECT_NEEDS = {TemplateKind.status_update: (("first_name", "full_name"), ("role_title", "role_reference"))}
EMAILS_DIR = ROOT / "templates" / "emails"
DEFAULT_NAMES = {
    TemplateKind.status_update: "Status update",
    TemplateKind.feedback: "Feedback",
    TemplateKind.acknowledgement: "Acknowledgement",
    TemplateKind.rejection: "Rejection",
    TemplateKind.request_info: "Request for information",
}

_text_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
_html_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True, keep_trailing_newline=True)

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def say_date(day: date | datetime | None) -> str:
    """'Friday 12 December 2026', spelled out here because strftime follows the process locale."""
    if day is None:
        return ""
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def validate(kind: str, subject: str, body_text: str, body_html: str | None) -> list[str]:
    """Every problem with a template, in words; empty when it can be saved."""
    errors: list[str] = []
    try:
        kind = TemplateKind(kind)
    except ValueError:
        return [f"unknown kind {kind!r}"]
    if not subject.strip():
        errors.append("the subject is empty")
    if not body_text.strip():
        errors.append("the text body is empty")
    used: dict[str, set[str]] = {}
    for part, source, env in (("subject", subject, _text_env), ("text body", body_text, _text_env),
                              ("HTML body", body_html, _html_env)):
        if not source:
            continue
        try:
            names = meta.find_undeclared_variables(env.parse(source))
            env.from_string(source)  # unknown filters and tests only show when compiled
        except TemplateError as exc:
            errors.append(f"{part}: {exc.message or exc}")
            continue
        used[part] = names
        for name in sorted(names - PLACEHOLDERS.keys()):
            errors.append(f"{part}: unknown placeholder {{{{ {name} }}}} "
                          f"(known: {', '.join(sorted(PLACEHOLDERS))})")
    for group in SUBJECT_NEEDS.get(kind, ()):
        if "subject" in used and not used["subject"] & set(group):
            errors.append(f"subject: must use {' or '.join('{{ ' + g + ' }}' for g in group)}")
    return errors


def save(session: Session, *, name: str, kind: str, subject: str, body_text: str, body_html: str | None,
         user_id: int | None, template_id: int | None = None) -> Template:
    """Create or update a template, refusing it with every error at once; the caller commits."""
    errors = validate(kind, subject, body_text, body_html)
    name = (name or "").strip()
    if not name:
        errors.insert(0, "the name is empty")
    clash = session.scalar(select(Template).where(Template.name == name))
    if clash is not None and clash.id != template_id:
        errors.insert(0, f"a template called {name!r} exists")
    if errors:
        raise BadInput("; ".join(errors))
    template = session.get(Template, template_id) if template_id else Template()
    if template is None:
        raise BadInput(f"no template {template_id}")
    template.name, template.kind, template.subject = name, TemplateKind(kind), subject.strip()
    template.body_text, template.body_html = body_text, body_html or None
    template.updated_by_id, template.updated_at = user_id, utcnow()
    session.add(template)
    session.flush()
    audit.record(session, user_id, "template.save", "template", template.id, name=name)
    return template


@dataclass(frozen=True)
class Rendered:
    subject: str
    body_text: str
    body_html: str | None


@dataclass(frozen=True)
class Compiled:
    subject: object
    body_text: object
    body_html: object | None

    def render(self, context: dict[str, str]) -> Rendered:
        return Rendered(self.subject.render(context).strip(), self.body_text.render(context),
                        self.body_html.render(context) if self.body_html is not None else None)


@functools.lru_cache(maxsize=64)
def _compile(subject: str, body_text: str, body_html: str | None) -> Compiled:
    return Compiled(_text_env.from_string(subject), _text_env.from_string(body_text),
                    _html_env.from_string(body_html) if body_html else None)


def compiled(template: Template) -> Compiled:
    """Compile once, render many (a batch renders thousands)."""
    return _compile(template.subject, template.body_text, template.body_html)


def context_for(application: Application, *, next_update_on: date | None = None, recruiter_name: str = "",
                original_subject: str = "") -> dict[str, str]:
    """The placeholders' values for one real application."""
    candidate, role = application.candidate, application.role
    return {
        "first_name": candidate.first_name,
        "full_name": candidate.name or candidate.first_name,
        "role_title": role.title,
        "role_reference": role.reference,
        "stage": str(application.stage),
        "next_update_date": say_date(next_update_on or role.next_update_on),
        "recruiter_name": recruiter_name or (role.owner.name if role.owner else "The hiring team"),
        "original_subject": original_subject,
    }


def render(template: Template, context: dict[str, str]) -> Rendered:
    try:
        return compiled(template).render(context)
    except TemplateError as exc:  # saved before validation existed, or edited in the database
        raise BadInput(f"template {template.name!r} cannot be rendered: {exc}") from None


def read_default(kind: TemplateKind) -> tuple[str, str, str]:
    """(subject, text, html) of the shipped template for `kind`, from templates/emails/."""
    text = (EMAILS_DIR / f"{kind.value}.txt").read_text(encoding="utf-8")
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"{kind.value}.txt must start with a Subject: line")
    return first.removeprefix("Subject:").strip(), body.lstrip("\n"), \
        (EMAILS_DIR / f"{kind.value}.html").read_text(encoding="utf-8")


def ensure_default_templates(session: Session) -> list[Template]:
    """Seed one template per kind unless a template of that kind exists; the caller commits."""
    created = []
    for kind, name in DEFAULT_NAMES.items():
        if session.scalar(select(Template.id).where(Template.kind == kind).limit(1)) is not None:
            continue
        subject, text, html = read_default(kind)
        created.append(save(session, name=name, kind=kind, subject=subject, body_text=text, body_html=html,
                            user_id=None))
    return created


def default_template(session: Session, kind: TemplateKind) -> Template:
    """The first template of `kind`, seeding the defaults when there is none."""
    template = session.scalar(select(Template).where(Template.kind == kind).order_by(Template.id).limit(1))
    if template is None:
        ensure_default_templates(session)
        template = session.scalar(select(Template).where(Template.kind == kind).order_by(Template.id).limit(1))
    return template
