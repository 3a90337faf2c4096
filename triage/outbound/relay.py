"""Talking to the SMTP relay: the URL, one authenticated (TLS) connection, one message, and
asking whether a message handed over before a crash was accepted.

4xx replies and connection failures are Temporary, 5xx replies Permanent; the outbox decides
what each means for the row.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

from triage.config import Settings
from triage.outbound import mime


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
    return Relay(
        parts.hostname or "127.0.0.1",
        parts.port or default_port,
        security,
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password else None,
    )


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
    """The relay refused this message for good (5xx). `recipient`: it refused the address itself
    (RCPT), which is worth suppressing; a refused sender or content says nothing about the address."""

    def __init__(self, reason: str, recipient: bool = False) -> None:
        super().__init__(reason)
        self.recipient = recipient


class Temporary(Exception):
    """Try this message again later (4xx, or the connection failed)."""


class Withdrawn(Exception):
    """The sender took the message back after the relay's 354 and before its content went: the
    connection is closed mid-DATA, so the relay discards what it has (RFC 5321 4.1.1.4)."""


def send_one(smtp: smtplib.SMTP, row, from_name: str = "", before_content: Callable[[], bool] | None = None) -> None:
    """Send one outbox row (anything with an Outbound's columns); raise Permanent or Temporary
    for a refusal, BadAddress for an address that cannot be written, Withdrawn when
    `before_content` (called once the relay is ready for the content) answers False."""
    draft = mime.from_row(row)
    if from_name:
        draft = mime.Draft(**{**draft.__dict__, "from_name": from_name})
    data = mime.to_bytes(draft)  # checks both addresses first
    try:
        transaction(
            smtp, mime.ascii_address(row.from_address), mime.ascii_address(row.to_address), data, before_content
        )
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        raise_for(code, text, recipient=True)
    except smtplib.SMTPResponseException as exc:  # includes SMTPSenderRefused, SMTPDataError
        raise_for(exc.smtp_code, exc.smtp_error)


def transaction(
    smtp: smtplib.SMTP, sender: str, recipient: str, data: bytes, before_content: Callable[[], bool] | None = None
) -> None:
    """MAIL, RCPT and DATA for one message to one recipient, raising as smtplib.sendmail does.

    `before_content` runs between the relay's 354 and the content: the last moment at which
    nothing can have been delivered (a relay accepts a message only at its final dot). Delivery
    records there that the message is in the relay's hands; when it answers False (or raises)
    the connection is closed before any content, which withdraws the message.

    sendmail re-parses both addresses with email.utils on every call (a fifth of a worker's
    time per email); ours were checked when the message was written (mime.check_address:
    one plain address, no spaces or line breaks), so they go into the commands as they are.
    When the relay offers PIPELINING (RFC 2920) the three commands go in one write, and the
    relay answers them in one turn instead of three.
    """
    smtp.ehlo_or_helo_if_needed()
    size = f" SIZE={len(data)}" if smtp.has_extn("size") else ""
    mail, rcpt = f"FROM:<{sender}>{size}", f"TO:<{recipient}>"
    if smtp.has_extn("pipelining"):
        smtp.send(f"MAIL {mail}\r\nRCPT {rcpt}\r\nDATA\r\n")
        replies = [smtp.getreply(), smtp.getreply(), smtp.getreply()]
        if replies[2][0] == 354 and (replies[0][0] != 250 or replies[1][0] not in (250, 251)):
            replies[2] = _content(smtp, b"")  # a relay that took DATA without a recipient: end it
    else:
        replies = [smtp.docmd("MAIL", mail)]
        if replies[0][0] == 250:
            replies.append(smtp.docmd("RCPT", rcpt))
        if replies[-1][0] in (250, 251):
            replies.append(smtp.docmd("DATA"))
    (code, reply), rest = replies[0], replies[1:]
    if code != 250:
        _reset(smtp, code)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    code, reply = rest[0]
    if code not in (250, 251):
        _reset(smtp, code)
        raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
    code, reply = rest[1]
    if code == 354:
        if before_content is not None:
            try:
                go = before_content()
            except BaseException:
                smtp.close()
                raise
            if not go:
                smtp.close()
                raise Withdrawn()
        code, reply = _content(smtp, data)
    if code != 250:
        _reset(smtp, code)
        raise smtplib.SMTPDataError(code, reply)


_LINE_START_DOT = re.compile(rb"^\.", re.MULTILINE)


def _content(smtp: smtplib.SMTP, data: bytes) -> tuple[int, bytes]:
    """The message after a 354 (CRLF line ends already), dot-stuffed, then the final dot."""
    if data and not data.endswith(b"\r\n"):
        data += b"\r\n"
    smtp.send(_LINE_START_DOT.sub(b"..", data) + b".\r\n")
    return smtp.getreply()


def _reset(smtp: smtplib.SMTP, code: int) -> None:
    """After a refusal: RSET, so the connection can carry the next message (421: it is closing)."""
    if code == 421:
        smtp.close()
    else:
        smtp._rset()  # smtplib's own quiet RSET, as sendmail uses


def raise_for(code: int, text: bytes | str, recipient: bool = False) -> None:
    reason = f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
    if 500 <= code < 600:
        raise Permanent(reason, recipient=recipient)
    raise Temporary(reason)


CONNECTION_ERRORS = (smtplib.SMTPServerDisconnected, OSError)  # OSError covers timeouts, resets, TLS


# --- after a crash: did the relay take it? -------------------------------------------------------
# A worker killed between handing a message's content to the relay and recording the answer
# leaves the row "handed over": the relay may or may not have accepted it. Sending it again
# blindly would mail the candidate twice whenever it had. Only a relay that keeps a record we can
# read can settle it: the local sink (`triage sink`) stores each message in its Maildir before
# it answers 250, so a Message-ID found there was accepted and one missing was not. A real
# relay keeps no such record for its clients; for it the answer is None and the row is left for
# a person to decide ("may have been sent") rather than sent again.
_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)
CLOCK_SLACK = timedelta(minutes=1)  # files older than the hand-over by more than this are not it
HEAD_BYTES = 64 * 1024  # the headers of one of our messages, with room to spare


def local_sink_folder(settings: Settings) -> Path | None:
    """The Maildir of the local sink when SMTP_URL is that sink (as `triage up` decides), else None."""
    parts = urlsplit(settings.smtp_url)
    folder = settings.var_dir / "sink"
    if parts.hostname in ("127.0.0.1", "localhost") and parts.port == settings.sink_port and folder.is_dir():
        return folder
    return None


def accepted(settings: Settings, message_ids: Collection[str], since: datetime) -> set[str] | None:
    """Which of `message_ids` (handed over at `since` or later) the relay accepted; None when the
    relay cannot tell (any relay but the local sink)."""
    folder = local_sink_folder(settings)
    if folder is None:
        return None
    wanted, found = set(message_ids), set()
    cutoff = (since - CLOCK_SLACK).timestamp()
    for name in ("new", "cur"):  # a mail reader moves messages from new/ to cur/
        try:
            entries = list(os.scandir(folder / name))
        except FileNotFoundError:
            continue
        for entry in entries:
            try:
                if entry.stat().st_mtime < cutoff:
                    continue
                with open(entry.path, "rb") as file:
                    head = file.read(HEAD_BYTES)
            except FileNotFoundError:
                continue  # moved from new/ to cur/ after the listing: cur/ is listed next
            match = _MESSAGE_ID.search(re.split(rb"\r?\n\r?\n", head, maxsplit=1)[0])
            if match and match.group(1).decode("ascii", "replace") in wanted:
                found.add(match.group(1).decode("ascii", "replace"))
    return found
