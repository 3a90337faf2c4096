"""WSGI entry point for gunicorn: `gunicorn triage.wsgi:app`."""

from triage import create_app

app = create_app()
