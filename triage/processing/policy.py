"""A team's settings (Team.policy JSON) as one TeamPolicy: the numbers the rules use.

Where to change the chaser rule: here for the numbers (waiting window, chaser window, Today
clock, acknowledgement and batch cadence), triage/processing/routing.py for the rule itself.

Team.policy keys, all optional (a missing key takes the default below):

    waiting_window_days        14    a status check sooner than this after our last contact is a chaser
    chaser_window_days         14    earlier status checks inside this window make a follow-up a chaser
    today_due_hours            24    the Today clock: a reply is due this long after the message
    confidence_threshold       the model's Review threshold; below it a message goes to Review
    acknowledge_chasers        true  acknowledge held chasers automatically
    acknowledge_once_per_days  7     at most one acknowledgement per candidate and role in this period
    acknowledge_max_age_days   2     never acknowledge a chaser older than this (a backfilled import)
    batch_every_days           7     at most one batch update per candidate and role in this period
    undo_send_seconds          10    a reply or batch can be cancelled this long after Send (0: off)
    retention_closed_months    6     erase rejected/withdrawn candidates' data this long after their last activity
    retention_hired_months     24    erase hired candidates' mail this long after their last activity
    privacy_notice_url         ""    a link to the team's privacy notice, shown in acknowledgements and updates

Validation: constructing a TeamPolicy with a bad value raises ValueError naming the field.
`from_json` reads what a team stored and never fails: a bad value (wrong type, not positive,
a threshold outside [0, 1], a batch cadence that is not whole days) or an unknown key is
logged as a warning naming the key and the default is used, so a typo in one team's settings
cannot stop its mail from being routed.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for the annotation: this module reads values, not tables
    from triage.db import JobRole

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.5

_DURATIONS = (
    "waiting_window",
    "chaser_window",
    "today_due",
    "acknowledge_once_per",
    "acknowledge_max_age",
    "batch_every",
)


@dataclass(frozen=True)
class TeamPolicy:
    """Every setting a team can change, with its default."""

    waiting_window: timedelta = timedelta(days=14)
    chaser_window: timedelta = timedelta(days=14)
    today_due: timedelta = timedelta(hours=24)
    confidence_threshold: float = DEFAULT_THRESHOLD
    acknowledge_chasers: bool = True
    acknowledge_once_per: timedelta = timedelta(days=7)
    acknowledge_max_age: timedelta = timedelta(days=2)
    batch_every: timedelta = timedelta(days=7)
    undo_send_seconds: int = 10
    retention_closed_months: int = 6
    retention_hired_months: int = 24
    privacy_notice_url: str = ""

    def __post_init__(self) -> None:
        for name in _DURATIONS:
            value = getattr(self, name)
            if not isinstance(value, timedelta) or value <= timedelta(0):
                raise ValueError(f"{name} must be a positive timedelta, got {value!r}")
        if self.batch_every % timedelta(days=1):
            raise ValueError(f"batch_every must be a whole number of days, got {self.batch_every!r}")
        t = self.confidence_threshold
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0.0 <= t <= 1.0:
            raise ValueError(f"confidence_threshold must be a number in [0, 1], got {t!r}")
        if not isinstance(self.acknowledge_chasers, bool):
            raise ValueError(f"acknowledge_chasers must be true or false, got {self.acknowledge_chasers!r}")
        if _not_count(self.undo_send_seconds, 0, 300):
            raise ValueError(f"undo_send_seconds must be a whole number from 0 to 300, got {self.undo_send_seconds!r}")
        for name in ("retention_closed_months", "retention_hired_months"):
            if _not_count(getattr(self, name), 1, 120):
                raise ValueError(f"{name} must be a whole number of months from 1 to 120, got {getattr(self, name)!r}")
        if not isinstance(self.privacy_notice_url, str) or (
            self.privacy_notice_url and not self.privacy_notice_url.startswith(("https://", "http://"))
        ):
            raise ValueError(f"privacy_notice_url must be empty or an http(s) address, got {self.privacy_notice_url!r}")

    @property
    def batch_every_days(self) -> int:
        """The batch cadence in whole days, as recruiters set and read it."""
        return self.batch_every.days

    @classmethod
    def from_json(cls, data: dict | None, default_threshold: float = DEFAULT_THRESHOLD) -> TeamPolicy:
        """Read a team's stored policy; a bad or unknown key is logged and the default used."""
        if data is not None and not isinstance(data, dict):
            log.warning("team policy: not a JSON object (%s); using the defaults", type(data).__name__)
            data = None
        values: dict[str, Any] = {"confidence_threshold": default_threshold}
        for key, raw in (data or {}).items():
            parse = _KEYS.get(key)
            if parse is None:
                log.warning("team policy: unknown key %r ignored (known: %s)", key, ", ".join(_KEYS))
                continue
            name, reader = parse
            try:
                values[name] = reader(raw)
            except ValueError as exc:
                log.warning("team policy: %s %s; using the default", key, exc)
        return cls(**values)

    @classmethod
    def of(cls, role: JobRole | None, default_threshold: float = DEFAULT_THRESHOLD) -> TeamPolicy:
        """The policy of a role's team (a JobRole, or None: the defaults)."""
        team = role.team if role is not None else None
        return cls.from_json(team.policy if team is not None else None, default_threshold)


def _not_count(value: Any, low: int, high: int) -> bool:
    return isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high


def _count(low: int, high: int) -> Callable[[Any], int]:
    def read(raw: Any) -> int:
        value = _number(raw)
        if value != int(value) or not low <= value <= high:
            raise ValueError(f"must be a whole number from {low} to {high}, got {raw!r}")
        return int(value)

    return read


def _url(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError(f"must be text, got {raw!r}")
    raw = raw.strip()
    if raw and not raw.startswith(("https://", "http://")):
        raise ValueError(f"must be an http(s) address, got {raw!r}")
    return raw


def _number(raw: Any) -> float:
    # Numbers, and numbers written as text ("14"), as the settings have always accepted.
    if isinstance(raw, bool):
        raise ValueError(f"must be a number, got {raw!r}")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"must be a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {raw!r}")
    return value


def _positive(unit: str) -> Callable[[Any], timedelta]:
    def read(raw: Any) -> timedelta:
        value = _number(raw)
        if value <= 0:
            raise ValueError(f"must be more than 0, got {raw!r}")
        return timedelta(**{unit: value})

    return read


def _whole_days(raw: Any) -> timedelta:
    value = _number(raw)
    if value < 1 or value != int(value):
        raise ValueError(f"must be a whole number of days, at least 1, got {raw!r}")
    return timedelta(days=int(value))


def _fraction(raw: Any) -> float:
    value = _number(raw)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"must be between 0 and 1, got {raw!r}")
    return value


def _switch(raw: Any) -> bool:
    # 0 and 1 too: bool(value) was read before, and a team that wrote 0 meant "off".
    if isinstance(raw, bool) or (isinstance(raw, int) and raw in (0, 1)):
        return bool(raw)
    raise ValueError(f"must be true or false, got {raw!r}")


# JSON key -> (TeamPolicy field, reader that raises ValueError on a bad value).
_KEYS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "waiting_window_days": ("waiting_window", _positive("days")),
    "chaser_window_days": ("chaser_window", _positive("days")),
    "today_due_hours": ("today_due", _positive("hours")),
    "confidence_threshold": ("confidence_threshold", _fraction),
    "acknowledge_chasers": ("acknowledge_chasers", _switch),
    "acknowledge_once_per_days": ("acknowledge_once_per", _positive("days")),
    "acknowledge_max_age_days": ("acknowledge_max_age", _positive("days")),
    "batch_every_days": ("batch_every", _whole_days),
    "undo_send_seconds": ("undo_send_seconds", _count(0, 300)),
    "retention_closed_months": ("retention_closed_months", _count(1, 120)),
    "retention_hired_months": ("retention_hired_months", _count(1, 120)),
    "privacy_notice_url": ("privacy_notice_url", _url),
}


# --- the settings as people set them: the admin page and GET/PUT /api/v1/team/policy ------------------------------
_HELP: dict[str, tuple[str, str]] = {
    # JSON key -> (unit, what it does); the page and the API read these, so a new key needs a line here.
    "waiting_window_days": ("days", "A status check sooner than this after our last contact is a chaser (held)."),
    "chaser_window_days": ("days", "Earlier status checks inside this window make a follow-up a chaser."),
    "today_due_hours": ("hours", "The Today clock: a reply is due this long after the message arrives."),
    "confidence_threshold": ("0 to 1", "Below this model confidence a message goes to Review."),
    "acknowledge_chasers": ("on/off", "Acknowledge held chasers automatically, naming the next update's date."),
    "acknowledge_once_per_days": ("days", "At most one acknowledgement per candidate and role in this period."),
    "acknowledge_max_age_days": ("days", "Never acknowledge a chaser older than this (say, a backfilled import)."),
    "batch_every_days": ("whole days", "At most one batch update per candidate and role in this period."),
    "undo_send_seconds": ("seconds, 0-300", "A reply or batch can be cancelled this long after Send (0: off)."),
    "retention_closed_months": (
        "months",
        "Erase rejected/withdrawn candidates' data this long after their last activity.",
    ),
    "retention_hired_months": ("months", "Erase hired candidates' mail this long after their last activity."),
    "privacy_notice_url": (
        "http(s) address",
        "A link to the team's privacy notice, shown in acknowledgements and updates.",
    ),
}


@dataclass(frozen=True)
class Setting:
    """One setting as a person sees it: its JSON key, unit, help, and the kind of field that edits it."""

    key: str
    field: str
    unit: str
    help: str
    kind: str  # number, switch or text


class PolicyErrors(ValueError):
    """Bad settings: `errors` maps each JSON key to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{key}: {why}" for key, why in errors.items()))


def settings() -> list[Setting]:
    """Every setting, in the order of _KEYS (so a new key appears on the page and in the API by itself)."""
    out = []
    for key, (field, reader) in _KEYS.items():
        unit, text = _HELP.get(key, ("", key.replace("_", " ")))
        kind = "switch" if reader is _switch else "text" if reader is _url else "number"
        out.append(Setting(key, field, unit, text, kind))
    return out


def _plain(value: Any, key: str) -> Any:
    """A TeamPolicy value as its JSON key states it (days, hours...)."""
    if isinstance(value, timedelta):
        amount = value / timedelta(hours=1) if key.endswith("_hours") else value / timedelta(days=1)
        return int(amount) if amount == int(amount) else amount
    return value


def to_json(policy: TeamPolicy) -> dict[str, Any]:
    """Every setting of `policy` under its JSON key."""
    return {key: _plain(getattr(policy, field), key) for key, (field, _) in _KEYS.items()}


def check(data: Any) -> dict[str, Any]:
    """Strictly read settings a person sent: each bad or unknown key is named in PolicyErrors (nothing is guessed).

    Returns the JSON to store (the values as given, normalised: numbers as numbers).
    """
    if not isinstance(data, dict):
        raise PolicyErrors({"policy": "must be a JSON object of settings"})
    errors: dict[str, str] = {}
    stored: dict[str, Any] = {}
    for key, raw in data.items():
        if key not in _KEYS:
            errors[str(key)[:60]] = f"unknown setting (known: {', '.join(_KEYS)})"
            continue
        if raw is None:
            continue  # null: back to the default
        reader = _KEYS[key][1]
        try:
            stored[key] = _plain(reader(raw), key)
        except ValueError as exc:
            errors[key] = str(exc)
    if errors:
        raise PolicyErrors(errors)
    try:
        TeamPolicy(**{_KEYS[k][0]: _KEYS[k][1](v) for k, v in stored.items()})
    except ValueError as exc:  # a rule across fields, or one the readers let through
        raise PolicyErrors({"policy": str(exc)}) from None
    return stored
