"""The front door: "/" is the inbox and /roles/<id> a role's page (endpoint names kept for links)."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_login import login_required

from triage.web.inbox import lanes, roles

bp = Blueprint("home", __name__)
bp.add_url_rule("/", "index", lanes.index)
bp.add_url_rule("/roles/<int:role_id>", "role", login_required(roles.role))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
