"""The one family of errors Triage raises on purpose."""


class TriageError(Exception):
    """Base class: something the caller can report to a person."""


class ConfigError(TriageError):
    """A setting is missing or invalid; the message names the variable."""


class NotFound(TriageError):
    pass


class Forbidden(TriageError):
    pass


class BadInput(TriageError):
    """Input that is not what the endpoint takes (not email, bad JSON...)."""


class TooLarge(TriageError):
    pass


class Unavailable(TriageError):
    """A backing service (database, Redis) is down; the sender should retry."""
