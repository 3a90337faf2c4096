"""Fill a reply template's placeholders for one message (names, role, the next update date)."""
from __future__ import annotations

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from triage.db import Message, Template, User
from triage.errors import BadInput

# Templates are written by staff but may be edited by any admin: render them sandboxed.
_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


def placeholders(message: Message, user: User) -> dict[str, str]:
    """The values a reply template may use."""
    candidate, role = message.candidate, message.role
    name = (candidate.name if candidate else None) or message.original_from_name or message.from_name or ""
    first = name.split()[0] if name.strip() else "there"
    next_update = role.next_update_on if role else None
    return {
        "first_name": first, "candidate_name": name or "there", "name": name or "there",
        "role_title": role.title if role else "the role", "role_reference": role.reference if role else "",
        "next_update": f"{next_update:%A %d %B}".replace(" 0", " ") if next_update else "soon",
        "next_update_on": f"{next_update:%A %d %B}".replace(" 0", " ") if next_update else "soon",
        "recruiter_name": user.name, "sender_name": user.name,
        "subject": message.subject or "",
    }


def fill(text: str, values: dict[str, str]) -> str:
    """Render `text` with `values`; an unknown placeholder is an error naming it."""
    try:
        return _ENV.from_string(text).render(**values)
    except TemplateError as exc:
        raise BadInput(f"the template cannot be filled: {exc}") from None


def from_template(template: Template, message: Message, user: User) -> tuple[str, str]:
    """(subject, body) of `template` filled for `message`."""
    values = placeholders(message, user)
    return fill(template.subject, values), fill(template.body_text, values)


def reply_subject(message: Message) -> str:
    from triage.outbound import mime  # the outbox's rule, so the preview matches what is sent
    return mime.reply_subject(message.subject)
