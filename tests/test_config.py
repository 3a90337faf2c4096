"""Settings are validated once; every bad value names its variable."""

import pytest

from triage import config
from triage.errors import ConfigError

KEY = "kq3W9v2LrT8mZ1xYb6NcP4sHd7JfGa0E"  # 32 characters, none repeated much: a fine key


def load(tmp_path, **env):
    return config.load({"TRIAGE_VAR_DIR": str(tmp_path), "TRIAGE_SECRET_KEY": KEY, **env})


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
        ("TRIAGE_LOGIN_MAX_DELAY_SECONDS", "0", "out of range"),
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


def test_generated_secret_key_is_private_to_its_owner(tmp_path):
    config.load({"TRIAGE_VAR_DIR": str(tmp_path)})
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "key",
    [
        "change-me-to-a-long-random-string",  # the old docker-compose.yml's
        "please-CHANGE-ME-before-going-to-production",
        "your-secret-key-here-0123456789abcdef",
        "secret",
        "changeme",
    ],
)
def test_a_placeholder_secret_key_is_refused_naming_the_variable(tmp_path, key):
    with pytest.raises(ConfigError, match="TRIAGE_SECRET_KEY"):
        load(tmp_path, TRIAGE_SECRET_KEY=key)


def test_a_secret_key_under_32_characters_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="TRIAGE_SECRET_KEY is too short"):
        load(tmp_path, TRIAGE_SECRET_KEY=KEY[:31])


def test_a_weak_key_in_the_key_file_is_refused_naming_the_variable(tmp_path):
    (tmp_path / "secret_key").write_text("short")
    with pytest.raises(ConfigError, match="TRIAGE_SECRET_KEY"):
        config.load({"TRIAGE_VAR_DIR": str(tmp_path)})


def test_the_compose_file_takes_the_secret_key_from_an_env_file():
    from triage import ROOT

    compose = (ROOT / "docker-compose.yml").read_text()
    assert "env_file: .env" in compose and "TRIAGE_SECRET_KEY:" not in compose


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


def test_trusted_relays_are_read_lower_case(tmp_path):
    settings = load(tmp_path, TRIAGE_TRUSTED_AUTHSERV_IDS="MX.Acme.example, relay2")
    assert settings.trusted_authserv_ids == ("mx.acme.example", "relay2")


def test_a_trusted_relay_must_be_a_host_name(tmp_path):
    with pytest.raises(ConfigError, match="TRIAGE_TRUSTED_AUTHSERV_IDS"):
        load(tmp_path, TRIAGE_TRUSTED_AUTHSERV_IDS="someone@acme.example")
