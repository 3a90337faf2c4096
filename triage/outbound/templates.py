"""Email templates: placeholders checked when a template is saved, rendered for a real candidate.

Jinja2's SandboxedEnvironment with StrictUndefined rather than a home-made {placeholder}
syntax: it is a well-kept library, the .html body gets autoescaping (a candidate called
"<b>Ann</b>" stays text), `jinja2.meta` lists every variable a template uses so an unknown
placeholder is refused at save time, and the sandbox keeps an admin-edited template from
reaching Python internals. Templates see plain strings only, and may only print them: outbound/
sandbox.py refuses loops, calls, arithmetic and the rest before a template is saved or compiled,
so no template can hold the server's CPU or memory.

One placeholder set (PLACEHOLDERS) for every use: batches and acknowledgements fill it with
`context_for(application)`, the reply composer with `reply_context(message, user)`. A value
that cannot be known for a recipient (a role with no next update date yet) is `Missing`, and a
template that uses it is refused with a BadInput naming the value and why, never rendered with
a hole in the sentence.

The composer once had placeholders of its own (candidate_name, name, next_update,
next_update_on, sender_name, subject). They are deliberately not aliases: they were only ever
values in that composer's dictionary, never stored. `save` has refused every name outside
PLACEHOLDERS since templates were first stored, migrations seed no templates, and the shipped
defaults use PLACEHOLDERS only. A row edited by hand in the database with an old name is refused
at render time with the name in the error.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

import markupsafe
from jinja2 import TemplateError, meta
from sqlalchemy import select
from sqlalchemy.orm import Session

from triage import ROOT, dates
from triage.db import Application, JobRole, Message, Template, TemplateKind, User, audit
from triage.db.base import utcnow
from triage.errors import BadInput
from triage.outbound import mime, sandbox

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

_text_env, _html_env = sandbox.TEXT, sandbox.HTML


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
    for part, source, env in _parts(subject, body_text, body_html):
        if not source:
            continue
        tree, refused = sandbox.read(env, source)
        errors.extend(f"{part}: {problem}" for problem in refused)
        if refused:
            continue
        names = meta.find_undeclared_variables(tree)  # only once the walk has refused what could run away
        used[part] = names
        for name in sorted(names - PLACEHOLDERS.keys()):
            errors.append(f"{part}: unknown placeholder {{{{ {name} }}}} (known: {', '.join(sorted(PLACEHOLDERS))})")
    for group in SUBJECT_NEEDS.get(kind, ()):
        if "subject" in used and not used["subject"] & set(group):
            errors.append(f"subject: must use {' or '.join('{{ ' + g + ' }}' for g in group)}")
    return errors


def save(
    session: Session,
    *,
    name: str,
    kind: str,
    subject: str,
    body_text: str,
    body_html: str | None,
    user_id: int | None,
    template_id: int | None = None,
) -> Template:
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
class Missing:
    """A placeholder with no value for this recipient; `why` is said to the person refused."""

    why: str


Context = dict[str, "str | Missing"]


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
    uses: frozenset[str]

    def render(self, context: Context) -> Rendered:
        """Fill the template; refuse, naming each value and why, when it uses a `Missing` one."""
        missing: dict[str, list[str]] = {}
        for name in sorted(self.uses):
            value = context.get(name)
            if isinstance(value, Missing):
                missing.setdefault(value.why, []).append(f"{{{{ {name} }}}}")
        if missing:
            raise BadInput("; ".join(f"needs {' and '.join(names)}, but {why}" for why, names in missing.items()))
        return Rendered(
            sandbox.fill(self.subject, context, "subject").strip(),
            sandbox.fill(self.body_text, context, "text body"),
            sandbox.fill(self.body_html, context, "HTML body") if self.body_html is not None else None,
        )


def _parts(subject: str, body_text: str, body_html: str | None) -> tuple:
    return (("subject", subject, _text_env), ("text body", body_text, _text_env), ("HTML body", body_html, _html_env))


@functools.lru_cache(maxsize=64)
def _compile(subject: str, body_text: str, body_html: str | None) -> Compiled:
    """Compile the parts that pass the same walk as `validate`: a row edited in the database gets no further."""
    built: dict[str, object] = {}
    uses: set[str] = set()
    refused: list[str] = []
    for part, source, env in _parts(subject, body_text, body_html):
        if part == "HTML body" and not source:
            continue
        tree, problems = sandbox.read(env, source or "")
        if problems:
            refused.extend(f"{part}: {problem}" for problem in problems)
            continue
        uses |= meta.find_undeclared_variables(tree)
        built[part] = env.from_string(tree)
    if refused:
        raise BadInput(f"cannot be rendered: {'; '.join(refused)}")
    return Compiled(built["subject"], built["text body"], built.get("HTML body"), frozenset(uses))


def compiled(template: Template) -> Compiled:
    """Compile once, render many (a batch renders thousands)."""
    return _compile(template.subject, template.body_text, template.body_html)


def _next_update(role: JobRole, day: date | None, today: date | None) -> str | Missing:
    if day is None:
        return Missing(
            f"role {role.reference} ({role.title}) has no next update date yet "
            "(sending or scheduling a batch update for the role sets one)"
        )
    if today is not None and day < today:
        return Missing(
            f"the next update date of role {role.reference} ({role.title}), {dates.long_day(day)}, "
            "has passed (send or schedule a batch update for the role to set a new one)"
        )
    return dates.long_day(day)


def context_for(
    application: Application,
    *,
    next_update_on: date | None = None,
    recruiter_name: str = "",
    original_subject: str = "",
) -> Context:
    """The placeholders' values for one real application."""
    candidate, role = application.candidate, application.role
    return {
        "first_name": candidate.first_name,
        "full_name": candidate.name or candidate.first_name,
        "role_title": role.title,
        "role_reference": role.reference,
        "stage": str(application.stage),
        "next_update_date": _next_update(role, next_update_on or role.next_update_on, None),
        "recruiter_name": recruiter_name or (role.owner.name if role.owner else "The hiring team"),
        "original_subject": original_subject,
    }


def reply_context(message: Message, user: User, *, today: date) -> Context:
    """The placeholders' values for `user` replying to one inbound message.

    The candidate is the message's candidate, else its original sender (the candidate of a
    forwarded message, not the colleague who forwarded it). The next update date is the role's,
    and must not be before `today`.
    """
    candidate, role, application = message.candidate, message.role, message.application
    if candidate is not None:
        name, first = candidate.name, candidate.first_name
    else:
        forwarded = bool(message.original_from_address)
        name = ((message.original_from_name if forwarded else message.from_name) or "").strip()
        address = (message.original_from_address if forwarded else message.from_address) or ""
        first = name.split()[0] if name else address.split("@")[0]  # as Candidate.first_name does
    unnamed = Missing("the sender's name and address are not known")
    unlinked = Missing("this message is not linked to a role")
    return {
        "first_name": first or unnamed,
        "full_name": name or first or unnamed,
        "role_title": role.title if role else unlinked,
        "role_reference": role.reference if role else unlinked,
        "stage": str(application.stage)
        if application
        else Missing("this message is not linked to an application, so there is no stage"),
        "next_update_date": _next_update(role, role.next_update_on, today) if role else unlinked,
        "recruiter_name": user.name,
        "original_subject": mime.clean_header_text(message.subject),
    }


def render(template: Template, context: Context) -> Rendered:
    try:
        return compiled(template).render(context)
    except TemplateError as exc:  # saved before validation existed, or edited in the database
        raise BadInput(f"template {template.name!r} cannot be rendered: {exc}") from None
    except BadInput as exc:
        raise BadInput(f"template {template.name!r} {exc}") from None


PRIVACY_LINE = "How we look after your personal data: {url}"


def with_privacy_notice(rendered: Rendered, url: str) -> Rendered:
    """The email with a short line linking the team's privacy notice (TeamPolicy.privacy_notice_url), if any."""
    if not url:
        return rendered
    html = rendered.body_html
    if html is not None:
        link = markupsafe.escape(url)
        line = f'How we look after your personal data: <a href="{link}">{link}</a>'
        html = f"{html.rstrip()}\n<p><small>{line}</small></p>\n"
    text = f"{rendered.body_text.rstrip()}\n\n{PRIVACY_LINE.format(url=url)}\n"
    return Rendered(rendered.subject, text, html)


def read_default(kind: TemplateKind) -> tuple[str, str, str]:
    """(subject, text, html) of the shipped template for `kind`, from templates/emails/."""
    text = (EMAILS_DIR / f"{kind.value}.txt").read_text(encoding="utf-8")
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"{kind.value}.txt must start with a Subject: line")
    return (
        first.removeprefix("Subject:").strip(),
        body.lstrip("\n"),
        (EMAILS_DIR / f"{kind.value}.html").read_text(encoding="utf-8"),
    )


def ensure_default_templates(session: Session) -> list[Template]:
    """Seed one template per kind unless a template of that kind exists; the caller commits."""
    created = []
    for kind, name in DEFAULT_NAMES.items():
        if session.scalar(select(Template.id).where(Template.kind == kind).limit(1)) is not None:
            continue
        subject, text, html = read_default(kind)
        created.append(
            save(session, name=name, kind=kind, subject=subject, body_text=text, body_html=html, user_id=None)
        )
    return created


def default_template(session: Session, kind: TemplateKind) -> Template:
    """The first template of `kind`, seeding the defaults when there is none."""
    template = session.scalar(select(Template).where(Template.kind == kind).order_by(Template.id).limit(1))
    if template is None:
        ensure_default_templates(session)
        template = session.scalar(select(Template).where(Template.kind == kind).order_by(Template.id).limit(1))
    return template
