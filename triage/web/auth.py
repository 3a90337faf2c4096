"""Login, logout, sessions, CSRF and the per-request current user."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from triage.accounts import users
from triage.db import User
from triage.web.services import db, settings

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class SessionUser:
    """What Flask-Login keeps for a request: the user row, read once per request."""

    def __init__(self, user: User) -> None:
        self.row = user
        self.is_authenticated = True
        self.is_active = user.active
        self.is_anonymous = False

    def get_id(self) -> str:
        return str(self.row.id)

    def __getattr__(self, name):
        return getattr(self.row, name)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    app.register_blueprint(bp)


@login_manager.user_loader
def _load_user(user_id: str):
    user = db().get(User, int(user_id)) if user_id.isdigit() else None
    return SessionUser(user) if user and user.active else None


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = users.authenticate(
                db(), settings(), form.email.data, form.password.data, request.remote_addr or "unknown"
            )
        except users.Throttled as exc:
            db().commit()
            return render_template("login.html", form=form, error=str(exc)), 429
        db().commit()
        if user:
            session.clear()
            session.permanent = True  # expires after the idle lifetime (12 h by default)
            login_user(SessionUser(user))
            target = request.args.get("next", "")
            # Only local paths: never redirect to another site after login.
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("home.index")
            return redirect(target)
        flash("Wrong email or password.")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
