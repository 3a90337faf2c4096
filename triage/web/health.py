"""GET /healthz: 200 when the database and Redis answer, 503 naming which does not."""

from __future__ import annotations

from flask import Flask, jsonify

from triage.web.services import database, redis


def init_app(app: Flask) -> None:
    app.add_url_rule("/healthz", "healthz", healthz)


def healthz():
    checks = {}
    for name, probe in (("database", lambda: database().ping()), ("redis", lambda: redis().ping())):
        try:
            probe()
            checks[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure is "down"; name it
            checks[name] = f"unavailable: {type(exc).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    down = [name for name, value in checks.items() if value != "ok"]
    body = {"status": "ok" if healthy else "unavailable", "checks": checks}
    if down:
        body["down"] = down
    return jsonify(body), 200 if healthy else 503
