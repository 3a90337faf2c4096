"""What a batch's emails say: the template, its sender, whether it asks, the team's policy, one rendering.

The preview and the send render through `render_for`, so what the recruiter sees is what goes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.db import Application, JobRole, Template, TemplateKind, User
from triage.errors import NotFound
from triage.outbound import templates
from triage.processing.policy import TeamPolicy

ASKING_KINDS = (TemplateKind.request_info,)


def asks(template: Template) -> bool:
    """Whether emails from this template ask the candidate for something (recorded as asks, not updates)."""
    return template.kind in ASKING_KINDS


def get_template(session: Session, template_id: int) -> Template:
    template = session.get(Template, template_id)
    if template is None:
        raise NotFound(f"no template {template_id}")
    return template


def sender_name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return user.name if user else ""


def policy_for(session: Session, role_ids: list[int]) -> TeamPolicy:
    """The strictest policy among the roles' teams: the longest undo window, the first privacy link."""
    policies = [TeamPolicy.of(role) for role in session.scalars(select(JobRole).where(JobRole.id.in_(role_ids)))]
    if not policies:
        return TeamPolicy()
    longest = max(policies, key=lambda p: p.undo_send_seconds)
    url = next((p.privacy_notice_url for p in policies if p.privacy_notice_url), "")
    return replace(longest, privacy_notice_url=url)


def render_for(template: Template, application: Application, next_update_on: date, sender: str, privacy_url: str):
    rendered = templates.render(
        template, templates.context_for(application, next_update_on=next_update_on, recruiter_name=sender)
    )
    if template.kind == TemplateKind.status_update:
        rendered = templates.with_privacy_notice(rendered, privacy_url)
    return rendered
