"""Roles: the list, a role's applicants, and the form that creates or edits one; close and reopen."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import func, select

from triage.accounts import users
from triage.db import Application, AppStage, Candidate, Team, User, UserRole
from triage.hiring import roles
from triage.web import params
from triage.web.hiring import bp, require_manager, role_or_404, user
from triage.web.services import db

PAGE = 500


def _choices() -> dict:
    people = list(db().scalars(select(User).where(User.active.is_(True)).order_by(User.name)))
    return {
        "owners": [u for u in people if u.role in (UserRole.recruiter, UserRole.admin)],
        "managers": [u for u in people if u.role == UserRole.line_manager],
        "teams": list(db().scalars(select(Team.name).order_by(Team.name))),
    }


def _form_data(creating: bool) -> dict:
    form = request.form
    data = {
        "title": params.text(form.get("title"), "title", default="", longest=300),
        "team": params.text(form.get("team"), "team", default="", longest=300),
        "owner": form.get("owner", ""),
        "line_managers": [m for m in form.getlist("line_managers") if m],
    }
    if creating or form.get("reference"):
        data["reference"] = params.text(form.get("reference"), "reference", default="", longest=300)
    return data


@bp.get("/roles")
@login_required
def roles_index():
    rows = users.roles_for(db(), user())
    counts = dict(
        db()
        .execute(
            select(Application.role_id, func.count())
            .where(Application.stage.not_in((AppStage.rejected, AppStage.withdrawn, AppStage.hired)))
            .group_by(Application.role_id)
        )
        .all()
    )
    return render_template("hiring/roles.html", roles=rows, counts=counts, may_manage=roles.may_manage(user()))


@bp.route("/roles/new", methods=["GET", "POST"])
@login_required
def new_role():
    actor = require_manager()
    errors, fields = {}, {"line_managers": []}
    if request.method == "POST":
        fields = _form_data(creating=True)
        try:
            role = roles.create(db(), fields, actor.id)
        except roles.RoleErrors as exc:
            db().rollback()
            errors = exc.errors
        else:
            db().commit()
            flash(f"Role {role.reference} created.")
            return redirect(url_for("hiring.role", role_id=role.id))
    return render_template("hiring/role_form.html", role=None, fields=fields, errors=errors, **_choices()), (
        400 if errors else 200
    )


@bp.route(f"/roles/<{params.ID}:role_id>/edit", methods=["GET", "POST"])
@login_required
def edit_role(role_id: int):
    role = role_or_404(role_id)  # first: a role she cannot see is a 404, not a 403
    actor = require_manager()
    errors = {}
    fields = {
        "reference": role.reference,
        "title": role.title,
        "team": role.team.name if role.team else "",
        "owner": str(role.owner_id or ""),
        "line_managers": [str(u.id) for u in role.members],
    }
    if request.method == "POST":
        fields = _form_data(creating=False)
        try:
            changed = roles.edit(db(), role, fields, actor.id)
        except roles.RoleErrors as exc:
            db().rollback()
            errors = exc.errors
        else:
            db().commit()
            flash(f"Role {role.reference} saved." if changed else "Nothing changed.")
            return redirect(url_for("hiring.role", role_id=role.id))
    return render_template("hiring/role_form.html", role=role, fields=fields, errors=errors, **_choices()), (
        400 if errors else 200
    )


@bp.post(f"/roles/<{params.ID}:role_id>/close")
@login_required
def close_role(role_id: int):
    return _set_open(role_id, False)


@bp.post(f"/roles/<{params.ID}:role_id>/reopen")
@login_required
def reopen_role(role_id: int):
    return _set_open(role_id, True)


def _set_open(role_id: int, is_open: bool):
    role = role_or_404(role_id)  # first: a role she cannot see is a 404, not a 403
    actor = require_manager()
    changed = roles.set_open(db(), role, is_open, actor.id)
    db().commit()
    state = "open" if is_open else "closed"
    flash(f"Role {role.reference} is now {state}." if changed else f"Role {role.reference} was already {state}.")
    return redirect(url_for("hiring.role", role_id=role.id))


@bp.get(f"/roles/<{params.ID}:role_id>")
@login_required
def role(role_id: int):
    """A role and its applicants, by stage."""
    job = role_or_404(role_id)
    stage = params.choice(request.args.get("stage"), "stage", [s.value for s in AppStage])
    query = (
        select(Application, Candidate)
        .join(Candidate, Candidate.id == Application.candidate_id)
        .where(Application.role_id == job.id)
        .order_by(Application.applied_at.desc(), Application.id.desc())
        .limit(PAGE + 1)
    )
    if stage:
        query = query.where(Application.stage == AppStage(stage))
    rows = list(db().execute(query))
    by_stage = dict(
        db()
        .execute(
            select(Application.stage, func.count()).where(Application.role_id == job.id).group_by(Application.stage)
        )
        .all()
    )
    return render_template(
        "hiring/role.html",
        role=job,
        rows=rows[:PAGE],
        more=len(rows) > PAGE,
        stage=stage,
        by_stage={s.value: by_stage.get(s, 0) for s in AppStage},
        may_manage=roles.may_manage(user()),
    )
