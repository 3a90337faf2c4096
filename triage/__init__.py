"""Triage: a recruiter-side inbox. `create_app` wires the parts together and does nothing else."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def create_app(settings=None):
    """Build the Flask app from `settings` (default: the environment, validated)."""
    from flask import Flask

    from triage import config
    from triage.web import api, auth, errors, home, health, services

    settings = settings or config.load()
    app = Flask(__name__, template_folder=str(ROOT / "templates"),
                static_folder=str(Path(__file__).parent / "web" / "static"))
    services.init_app(app, settings)
    auth.init_app(app)
    errors.init_app(app)
    health.init_app(app)
    home.init_app(app)
    api.init_app(app)
    _register_optional(app, ("inbox", "batches", "admin", "models_admin", "sink"))
    return app


def _register_optional(app, names) -> None:
    """Blueprint modules under triage.web that define init_app(app), when present."""
    import importlib
    for name in names:
        try:
            module = importlib.import_module(f"triage.web.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"triage.web.{name}":
                raise
            continue
        module.init_app(app)
