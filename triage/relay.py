"""Talking to the SMTP relay: the URL, one authenticated (TLS) connection, one message.

4xx replies and connection failures are Temporary, 5xx replies Permanent; the outbox decides
what each means for the row.
"""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from triage import compose
from triage.config import Settings
from triage.db import Outbound


@dataclass(frozen=True)
class Relay:
    host: str
    port: int
    security: str  # "plain", "ssl" or "starttls"
    username: str | None = None
    password: str | None = None


def relay(smtp_url: str) -> Relay:
    """smtp://, smtps:// (TLS from the start) or smtp+starttls://, with optional user:pass@."""
    parts = urlsplit(smtp_url)
    security = {"smtp": "plain", "smtps": "ssl", "smtp+starttls": "starttls"}[parts.scheme]
    default_port = {"plain": 25, "ssl": 465, "starttls": 587}[security]
    return Relay(parts.hostname or "127.0.0.1", parts.port or default_port, security,
                 unquote(parts.username) if parts.username else None,
                 unquote(parts.password) if parts.password else None)


def connect(settings: Settings, timeout: float = 30) -> smtplib.SMTP:
    r = relay(settings.smtp_url)
    # The default context verifies the relay's certificate (SSL_CERT_FILE can add a private CA);
    # made only for TLS, since loading the CA store costs ~40 ms per connection.
    context = ssl.create_default_context() if r.security != "plain" else None
    if r.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(r.host, r.port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(r.host, r.port, timeout=timeout)
    try:
        smtp.ehlo()
        if r.security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        if r.username:
            smtp.login(r.username, r.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


class Permanent(Exception):
    """The relay refused this message for good (5xx)."""


class Temporary(Exception):
    """Try this message again later (4xx, or the connection failed)."""


def send_one(smtp: smtplib.SMTP, row: Outbound, from_name: str) -> None:
    draft = compose.from_row(row)
    if from_name:
        draft = compose.Draft(**{**draft.__dict__, "from_name": from_name})
    data = compose.to_bytes(draft)
    try:
        refused = smtp.sendmail(row.from_address, [row.to_address], data)
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        raise_for(code, text)
    except smtplib.SMTPResponseException as exc:  # includes SMTPSenderRefused, SMTPDataError
        raise_for(exc.smtp_code, exc.smtp_error)
    else:
        if refused:  # cannot happen with one recipient, but never call a refusal a success
            code, text = next(iter(refused.values()))
            raise_for(code, text)


def raise_for(code: int, text: bytes | str) -> None:
    reason = f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
    if 500 <= code < 600:
        raise Permanent(reason)
    raise Temporary(reason)


CONNECTION_ERRORS = (smtplib.SMTPServerDisconnected, OSError)  # OSError covers timeouts, resets, TLS
