"""Login, logout, sessions, CSRF and the per-request current user."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from triage.accounts import invitations, logins, throttle, users
from triage.db import User, audit
from triage.db.base import utcnow
from triage.errors import BadInput
from triage.web.services import db, settings

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class SetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The two passwords are not the same.")],
    )


class SessionUser:
    """What Flask-Login keeps for a request: the user row, read once per request."""

    def __init__(self, user: User) -> None:
        self.row = user
        self.is_authenticated = True
        self.is_active = user.active
        self.is_anonymous = False

    def get_id(self) -> str:
        # What the session keeps: the id and the user's session version, so that bumping the
        # version (logout, password or role change, deactivation) refuses every copy of the cookie.
        return f"{self.row.id}:{self.row.session_version}"

    def __getattr__(self, name):
        return getattr(self.row, name)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    app.register_blueprint(bp)


@login_manager.user_loader
def _load_user(session_id: str):
    """The session's user, if still active and the session's version is the user's current one."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit() and version.isascii() and version.isdigit()):
        return None  # also a cookie from before session versions: log in again
    user = db().get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return SessionUser(user)


def local_target(target: str) -> str | None:
    """`target` if it is a path on this site, else None.

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so "/", tab,
    "/evil.example" leads to another site: control characters, whitespace and backslashes are
    refused, as is anything with a scheme or a host.
    """
    if not target.startswith("/") or target.startswith("//"):
        return None
    if any(ch == "\\" or ch.isspace() or not ch.isprintable() for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


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
        session_db = db()
        # Stale throttle rows go in a transaction of their own, never holding a login's rows.
        logins.sweep(session_db, settings())
        session_db.commit()
        try:
            attempt = logins.begin(session_db, settings(), form.email.data, request.remote_addr or "unknown")
        except throttle.Throttled as exc:
            session_db.rollback()
            page = render_template("login.html", form=form, error=str(exc))
            return page, 429, {"Retry-After": str(exc.retry_after)}
        session_db.commit()  # the attempt counts before the password is checked: parallel guesses see it
        user = logins.finish(session_db, settings(), attempt, form.password.data)
        session_db.commit()
        if user:
            session.clear()
            session.permanent = True  # expires after the idle lifetime (12 h by default)
            login_user(SessionUser(user))
            return redirect(local_target(request.args.get("next", "")) or url_for("home.index"))
        flash("Wrong email or password.")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """End this session and every other copy of it (the user's session version moves on)."""
    user = current_user.row
    users.end_sessions(user)
    audit.record(db(), user.id, "user.logout", "user", user.id)
    db().commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


# The token is in the URL: no other site may see it in a Referer, and no cache may keep the page.
PRIVATE_PAGE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """An invited person chooses their password; then they are logged in and the link is used up."""
    session_db = db()
    try:
        row = invitations.check(session_db, settings().secret_key, token)
    except invitations.LinkProblem as exc:
        status = 404 if exc.reason == "invalid" else 410
        return render_template("auth/invitation_problem.html", problem=exc), status, PRIVATE_PAGE
    form = SetPasswordForm()
    error = None
    status = 200
    if form.validate_on_submit():
        try:
            user = invitations.accept(session_db, settings().secret_key, token, form.password.data)
        except invitations.LinkProblem as exc:
            session_db.rollback()
            return render_template("auth/invitation_problem.html", problem=exc), 410, PRIVATE_PAGE
        except BadInput as exc:  # the password policy
            session_db.rollback()
            error, status = str(exc)[:1].upper() + str(exc)[1:] + ".", 400
        else:
            user.last_login_at = utcnow()
            session_db.commit()
            session.clear()
            session.permanent = True
            login_user(SessionUser(user))
            flash(f"Welcome, {user.name}: your password is set and you are logged in.")
            return redirect(url_for("home.index"))
    elif request.method == "POST":
        error = next(iter(form.errors.values()))[0] if form.errors else "Fill in both fields."
        status = 400
    page = render_template("auth/set_password.html", form=form, user=row.user, error=error, row=row)
    return page, status, PRIVATE_PAGE
