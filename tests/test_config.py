"""Settings are validated once; every bad value names its variable."""

import pytest

from triage import config
from triage.errors import ConfigError


def load(tmp_path, **env):
    return config.load({"TRIAGE_VAR_DIR": str(tmp_path), "TRIAGE_SECRET_KEY": "x" * 32, **env})


def test_defaults_are_the_embedded_parts(tmp_path):
    settings = load(tmp_path)
    assert (settings.database_url, settings.embedded_redis, settings.smtp_url) == (
        f"sqlite:///{tmp_path / 'triage.db'}",
        True,
        "smtp://127.0.0.1:8025",
    )


def test_postgresql_url_uses_psycopg3(tmp_path):
    assert load(tmp_path, DATABASE_URL="postgresql://u@db/x").database_url == "postgresql+psycopg://u@db/x"


@pytest.mark.parametrize(
    "name, value, words",
    [
        ("DATABASE_URL", "mysql://localhost/x", "scheme must be one of"),
        ("DATABASE_URL", "postgresql:///x", "no host"),
        ("REDIS_URL", "http://localhost", "scheme must be one of"),
        ("REDIS_URL", "redis://localhost:99999", "port"),
        ("SMTP_URL", "smtp://:pw@", "no host"),
        ("TRIAGE_PORT", "eighty", "not a whole number"),
        ("TRIAGE_PORT", "70000", "out of range"),
        ("TRIAGE_MAX_MESSAGE_MB", "0", "out of range"),
        ("TRIAGE_SECRET_KEY", "short", "too short"),
        ("TRIAGE_INBOUND_ADDRESSES", "jobs@x.com, not-an-address", "not an email address"),
        ("TRIAGE_BASE_URL", "ftp://x", "must start with http"),
        ("TRIAGE_TLS_CERT", "/nonexistent/cert.pem", "no such file"),
        ("TRIAGE_OUTBOX_GIVE_UP_HOURS", "soon", "not a number"),
        ("TRIAGE_OUTBOX_CHUNK", "0", "out of range"),
    ],
)
def test_bad_value_names_the_variable(tmp_path, name, value, words):
    with pytest.raises(ConfigError) as error:
        load(tmp_path, **{name: value})
    assert name in str(error.value) and words in str(error.value)


def test_password_in_url_is_not_echoed(tmp_path):
    with pytest.raises(ConfigError) as error:
        load(tmp_path, REDIS_URL="http://user:s3cret@host")
    assert "s3cret" not in str(error.value)


def test_generated_secret_key_survives_restart(tmp_path):
    first = config.load({"TRIAGE_VAR_DIR": str(tmp_path)}).secret_key
    assert config.load({"TRIAGE_VAR_DIR": str(tmp_path)}).secret_key == first


def test_cli_reports_bad_setting_and_exits_2(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "triage.cli", "db", "upgrade"],
        env={"TRIAGE_VAR_DIR": str(tmp_path), "DATABASE_URL": "oracle://x", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "DATABASE_URL" in result.stderr
