"""Is this an automatic message? Headers first (RFC 3834 and common practice), wording second."""
from __future__ import annotations

import re
from collections.abc import Callable

_NO_REPLY_SENDER = re.compile(
    r"^(?:mailer-daemon|postmaster|no[-_.]?reply|do[-_.]?not[-_.]?reply|bounces?|auto[-_.]?reply"
    r"|notifications?|autoresponder)(?:[-+_.][^@]*)?@", re.IGNORECASE)
_OUT_OF_OFFICE = re.compile(
    r"\b(?:out of (?:the )?office|automatic reply|auto(?:matic)?[- ]?reply|autoreply|away from (?:the|my) office"
    r"|on (?:annual |parental )?leave until|i am (?:currently )?(?:away|out)|i'm (?:currently )?(?:away|out of)"
    r"|abwesenheitsnotiz|automatische antwort|ich bin (?:bis|vom|derzeit|zurzeit) .{0,40}(?:abwesend|nicht im büro)"
    r"|réponse automatique|absent(?:e)? du bureau|je suis absente?"
    r"|respuesta automática|fuera de la oficina|estoy fuera"
    r"|risposta automatica|fuori ufficio|sono fuori sede"
    r"|automatisch antwoord|afwezigheidsbericht|ik ben afwezig"
    r"|automatiskt svar|frånvaro|jeg er fraværende|autosvar|fravær"
    r"|resposta automática|fora do escritório|estou fora"
    r"|odpowiedź automatyczna|poza biurem|automatická odpověď|mimo kancelář"
    r"|автоответ|автоматический ответ|нахожусь в отпуске|不在|自動返信|自动回复)",
)  # lowercase, matched against lowercased text: 4x faster than IGNORECASE on every message


def is_auto_reply(header: Callable[[str], str | None], sender_address: str | None = None,
                  subject: str = "", body: str = "") -> bool:
    """True for auto-replies, bounces, lists and bulk mail; `header(name)` returns a header value."""
    return bool(reasons(header, sender_address, subject, body))


def reasons(header: Callable[[str], str | None], sender_address: str | None = None,
            subject: str = "", body: str = "") -> list[str]:
    """Why the message counts as automatic, in words (empty when it does not)."""
    found: list[str] = []
    auto_submitted = (header("Auto-Submitted") or "").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        found.append(f"Auto-Submitted: {auto_submitted.split(';')[0]}")
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "X-AutoReply-From"):
        value = (header(name) or "").strip().lower()
        if value and (name != "X-Auto-Response-Suppress" or value in ("all", "oof", "autoreply")):
            found.append(f"{name} header")
    precedence = (header("Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        found.append(f"Precedence: {precedence}")
    if header("List-Id") or header("List-Unsubscribe"):
        found.append("mailing list (List-Id)")
    return_path = header("Return-Path")
    if return_path is not None and return_path.strip() in ("<>", ""):
        found.append("empty Return-Path")
    if sender_address and _NO_REPLY_SENDER.match(sender_address.strip()):
        found.append("no-reply or system sender")
    if _OUT_OF_OFFICE.search((subject or "").lower()) or _OUT_OF_OFFICE.search((body or "")[:600].lower()):
        found.append("out-of-office wording")
    return found
