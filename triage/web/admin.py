"""Admin pages: the audit trail (who did what, when), users, teams and each team's policy."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from triage.accounts import users as accounts
from triage.db import AuditEvent, JobRole, Team, User, UserRole
from triage.hiring import people, teams
from triage.processing import policy
from triage.web import params
from triage.web.auth import admin_required
from triage.web.services import db

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 100


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/audit")
@admin_required
def audit():
    """The audit trail, newest first, filterable by action, user and target."""
    action = request.args.get("action", "").strip()
    user_id = request.args.get("user", "")
    target = request.args.get("target", "").strip()
    page = params.integer(request.args.get("page"), "page", default=1)
    user_id = params.integer(user_id, "user")
    query = select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.user_id)
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if user_id:
        query = query.where(AuditEvent.user_id == int(user_id))
    if target:
        kind, _, target_id = target.partition(":")
        query = query.where(AuditEvent.target_type == kind)
        if target_id:
            query = query.where(AuditEvent.target_id == params.integer(target_id, "target id"))
    rows = list(
        db().execute(
            query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    actions = list(db().scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
    users = list(db().scalars(select(User).order_by(User.name)))
    return render_template(
        "admin/audit.html",
        rows=rows[:PAGE_SIZE],
        more=len(rows) > PAGE_SIZE,
        page=page,
        action=action,
        user_id=user_id,
        target=target,
        actions=actions,
        users=users,
    )


def _users_page() -> str:
    return render_template(
        "admin/users.html",
        users=list(db().scalars(select(User).order_by(User.role, User.name))),
        actions=dict(db().execute(select(AuditEvent.user_id, func.count()).group_by(AuditEvent.user_id)).all()),
        teams=list(db().scalars(select(Team).order_by(Team.name))),
        roles=list(db().scalars(select(JobRole).order_by(JobRole.reference))),
    )


@bp.get("/users")
@admin_required
def users():
    return _users_page()


def _team_id() -> int | None:
    return params.integer(request.form.get("team_id"), "team")


def _role_ids() -> list[int]:
    return [params.integer(r, "role") for r in request.form.getlist("role_ids") if r]


@bp.post(f"/users/<{params.ID}:user_id>")
@admin_required
def change_user(user_id: int):
    """Team, roles (line managers), deactivate or reactivate."""
    user = db().get(User, user_id)
    if user is None:
        abort(404)
    actor = current_user.row.id
    action = params.choice(request.form.get("action"), "action", ["save", "deactivate", "activate"], default="save")
    if action == "deactivate":
        people.deactivate(db(), user, actor)
        message = f"{user.email} deactivated: their sessions and API tokens have ended."
    elif action == "activate":
        accounts.activate(db(), user, actor)
        message = f"{user.email} can log in again (API tokens need to be made anew)."
    else:
        people.set_team(db(), user, _team_id(), actor)
        if user.role == UserRole.line_manager:
            people.assign_roles(db(), user, _role_ids(), actor)
        message = f"{user.email} saved."
    db().commit()
    flash(message)
    return redirect(url_for("admin.users"))


@bp.get("/teams")
@admin_required
def teams_index():
    rows = list(db().scalars(select(Team).order_by(Team.name)))
    role_counts = dict(db().execute(select(JobRole.team_id, func.count()).group_by(JobRole.team_id)).all())
    people = dict(db().execute(select(User.team_id, func.count()).group_by(User.team_id)).all())
    return render_template("admin/teams.html", teams=rows, role_counts=role_counts, people=people)


@bp.post("/teams")
@admin_required
def create_team():
    name = params.text(request.form.get("name"), "name", default="", longest=200)
    team = teams.create(db(), name, current_user.row.id)
    db().commit()
    flash(f"Team {team.name} created.")
    return redirect(url_for("admin.team_policy", team_id=team.id))


@bp.route(f"/teams/<{params.ID}:team_id>/policy", methods=["GET", "POST"])
@admin_required
def team_policy(team_id: int):
    """Every TeamPolicy setting of one team, rendered from TeamPolicy itself; errors per field."""
    team = db().get(Team, team_id)
    if team is None:
        abort(404)
    settings = policy.settings()
    errors: dict[str, str] = {}
    values = {**policy.to_json(policy.TeamPolicy.from_json(team.policy)), **(team.policy or {})}
    if request.method == "POST":
        sent = {}
        for setting in settings:
            if setting.kind == "switch":
                sent[setting.key] = request.form.get(setting.key) == "on"
            else:
                raw = params.text(request.form.get(setting.key), setting.key, default="", longest=500).strip()
                sent[setting.key] = raw if raw or setting.kind == "text" else None
        try:
            changed = teams.set_policy(db(), team, sent, current_user.row.id)
        except policy.PolicyErrors as exc:
            db().rollback()
            errors = exc.errors
            values = {**values, **{k: v for k, v in sent.items() if v is not None}}
        else:
            db().commit()
            flash("Policy saved; it applies to messages that arrive from now on." if changed else "Nothing changed.")
            return redirect(url_for("admin.team_policy", team_id=team.id))
    defaults = policy.to_json(policy.TeamPolicy())
    page = render_template(
        "admin/team_policy.html", team=team, settings=settings, values=values, defaults=defaults, errors=errors
    )
    return page, (400 if errors else 200)
