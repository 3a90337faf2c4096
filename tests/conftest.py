"""Shared fixtures: real Redis (embedded or REDIS_URL), real database (SQLite or DATABASE_URL).

The suite runs against the embedded defaults unless DATABASE_URL / REDIS_URL point at servers;
.ci/run does both. With REDIS_URL set, the tests flush that Redis database: point it at one
you can spare.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import text

from triage import config
from triage.db import Base, Database, migrate
from triage.runtime import queues

SECRET = "test-secret-key-0123456789abcdef"


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("session")


def worker_index() -> int:
    """0 without pytest-xdist, else the number of this xdist worker (gw0, gw1, ...)."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(name.removeprefix("gw") or 0)


@pytest.fixture(scope="session")
def redis_url(session_dir):
    """REDIS_URL when set (one database number per xdist worker), else an embedded redis-server."""
    if os.environ.get("REDIS_URL"):
        parts = urlsplit(os.environ["REDIS_URL"])
        base = int(parts.path.strip("/") or 0)
        yield urlunsplit(parts._replace(path=f"/{base + worker_index()}"))
        return
    process = queues.start_embedded_redis(session_dir)
    yield f"unix://{session_dir / 'redis.sock'}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def migrated_database(session_dir) -> str:
    """Migrate once per session: a template SQLite file, or the PostgreSQL database itself."""
    url = os.environ.get("DATABASE_URL")
    if url:
        url = _worker_database(url.replace("postgresql://", "postgresql+psycopg://", 1))
        database = Database(url)
        with database.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        migrate.upgrade(database)
        database.dispose()
        return url
    template = session_dir / "template.db"
    database = Database(f"sqlite:///{template}")
    migrate.upgrade(database)
    database.dispose()
    return f"sqlite:///{template}"


def _worker_database(url: str) -> str:
    """Under pytest-xdist, give each worker its own PostgreSQL database beside DATABASE_URL's."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return url
    parts = urlsplit(url)
    name = f"{parts.path.strip('/')}_{os.environ['PYTEST_XDIST_WORKER']}"
    admin = Database(urlunsplit(parts._replace(path="/postgres")))
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture
def database_url(migrated_database, tmp_path) -> str:
    """A clean, migrated database for one test."""
    if migrated_database.startswith("sqlite"):
        copy = tmp_path / "triage.db"
        shutil.copy(migrated_database.removeprefix("sqlite:///"), copy)
        return f"sqlite:///{copy}"
    database = Database(migrated_database)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with database.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    database.dispose()
    return migrated_database


@pytest.fixture
def redis_client(redis_url):
    client = queues.connect(config.load(_env(Path("/tmp"), "sqlite://", redis_url)))
    client.flushdb()
    yield client
    client.close()


def free_port() -> int:
    """A TCP port nobody listens on right now (bind to 0 and let the kernel choose)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sink():
    """A real aiosmtpd SMTP sink that records what was sent (and can be told to misbehave)."""
    from triage.outbound.sink import Sink

    server = Sink("127.0.0.1", free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def live_server(app):
    """The app served by a threaded werkzeug server on a free port; yields its base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def _env(var_dir: Path, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    return {
        "TRIAGE_VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "TRIAGE_SECRET_KEY": SECRET,
        **extra,
    }


@pytest.fixture
def make_settings(tmp_path, database_url, redis_url):
    """Build Settings for this test's database and Redis, with overrides as env-style strings."""

    def build(**extra: str) -> config.Settings:
        return config.load(_env(tmp_path / "var", database_url, redis_url, **extra)).with_overrides(testing=True)

    return build


@pytest.fixture
def settings(make_settings, redis_client):
    return make_settings()


@pytest.fixture
def app(settings):
    from triage import create_app

    app = create_app(settings)
    yield app
    app.extensions["triage.database"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def database(app) -> Database:
    return app.extensions["triage.database"]


@pytest.fixture
def db_session(database):
    with database.session() as session:
        yield session


PASSWORD = "correct horse battery"


@pytest.fixture
def make_user(db_session):
    """make_user(role="recruiter", email=None, roles=[JobRole...]) -> User, committed."""
    from triage.accounts import users

    counter = iter(range(1, 10_000))

    def build(role: str = "recruiter", email: str | None = None, roles=(), password: str = PASSWORD):
        user = users.create_user(
            db_session, email or f"{role}{next(counter)}@example.com", role.title(), password, role
        )
        user.roles.extend(roles)
        db_session.commit()
        return user

    return build


@pytest.fixture
def make_role(db_session):
    from triage.db import JobRole

    counter = iter(range(1000, 10_000))

    def build(title: str = "Data Analyst", reference: str | None = None, **fields):
        role = JobRole(reference=reference or f"REQ-{next(counter)}", title=title, **fields)
        db_session.add(role)
        db_session.commit()
        return role

    return build


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture
def login(client):
    """login(user_or_email, password=PASSWORD) -> the response to the login POST."""

    def do(user, password: str = PASSWORD):
        email = getattr(user, "email", user)
        token = csrf_from(client.get("/login").get_data(as_text=True))
        return client.post("/login", data={"email": email, "password": password, "csrf_token": token})

    return do
