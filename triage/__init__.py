"""Triage: a recruiter-side inbox. `create_app` wires the parts together and does nothing else."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def create_app(settings=None):
    """Build the Flask app from `settings` (default: the environment, validated)."""
    # Imported here, not at the top: `triage.ROOT` is read by modules far below the web layer.
    from flask import Flask

    from triage import config
    from triage.web import (
        admin,
        api,
        auth,
        batches,
        errors,
        forwarding,
        health,
        hiring,
        home,
        inbox,
        models_admin,
        privacy,
        proposals,
        services,
    )

    settings = settings or config.load()
    app = Flask(
        __name__, template_folder=str(ROOT / "templates"), static_folder=str(Path(__file__).parent / "web" / "static")
    )
    services.init_app(app, settings)
    parts = (auth, errors, health, home, api, inbox, batches, admin, models_admin)
    for part in (*parts, hiring, forwarding, proposals, privacy):
        part.init_app(app)
    return app
