"""Is this an automatic message? Headers first (RFC 3834 and common practice), wording second."""

from __future__ import annotations

import re
from collections.abc import Callable

_NO_REPLY_SENDER = re.compile(
    r"^(?:mailer-daemon|postmaster|no[-_.]?reply|do[-_.]?not[-_.]?reply|bounces?|auto[-_.]?reply"
    r"|notifications?|autoresponder)(?:[-+_.][^@]*)?@",
    re.IGNORECASE,
)
# Out-of-office phrases (lowercase, matched against lowercased text: 4x faster than IGNORECASE),
# each under a plain substring it cannot match without. Most mail holds none of those substrings,
# and looking for them is a third of the cost of the pattern.
_OUT_OF_OFFICE_PHRASES: dict[str, tuple[str, ...]] = {
    "auto": (
        r"automatic reply",
        r"auto(?:matic)?[- ]?reply",
        r"autoreply",
        r"automatische antwort",
        r"réponse automatique",
        r"respuesta automática",
        r"risposta automatica",
        r"automatisch antwoord",
        r"automatiskt svar",
        r"autosvar",
        r"resposta automática",
        r"odpowiedź automatyczna",
        r"automatická odpověď",
    ),
    "office": (r"out of (?:the )?office", r"away from (?:the|my) office"),
    "leave until": (r"on (?:annual |parental )?leave until",),
    "i am ": (r"i am (?:currently )?(?:away|out)",),
    "i'm ": (r"i'm (?:currently )?(?:away|out of)",),
    "abwesen": (r"abwesenheitsnotiz",),
    "ich bin ": (r"ich bin (?:bis|vom|derzeit|zurzeit) .{0,40}(?:abwesend|nicht im büro)",),
    "du bureau": (r"absent(?:e)? du bureau",),
    "je suis absent": (r"je suis absente?",),
    "fuera": (r"fuera de la oficina", r"estoy fuera"),
    "fuori ": (r"fuori ufficio", r"sono fuori sede"),
    "afwezig": (r"afwezigheidsbericht", r"ik ben afwezig"),
    "frånvaro": (r"frånvaro",),
    "fravær": (r"jeg er fraværende", r"fravær"),
    "fora": (r"fora do escritório", r"estou fora"),
    "poza biurem": (r"poza biurem",),
    "mimo kancelář": (r"mimo kancelář",),
    "авто": (r"автоответ", r"автоматический ответ"),
    "в отпуске": (r"нахожусь в отпуске",),
    "不在": (r"不在",),
    "自動返信": (r"自動返信",),
    "自动回复": (r"自动回复",),
}
_OUT_OF_OFFICE = re.compile(r"\b(?:" + "|".join(p for ps in _OUT_OF_OFFICE_PHRASES.values() for p in ps) + ")")


def _out_of_office(text: str) -> bool:
    """Out-of-office wording in lowercased text."""
    for part in _OUT_OF_OFFICE_PHRASES:  # a plain loop: any() over a generator costs a third more
        if part in text:
            return _OUT_OF_OFFICE.search(text) is not None
    return False


def is_auto_reply(
    header: Callable[[str], str | None], sender_address: str | None = None, subject: str = "", body: str = ""
) -> bool:
    """True for auto-replies, bounces, lists and bulk mail; `header(name)` returns a header value."""
    return bool(reasons(header, sender_address, subject, body))


def reasons(
    header: Callable[[str], str | None], sender_address: str | None = None, subject: str = "", body: str = ""
) -> list[str]:
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
    # Subject and body in one look: no phrase holds a line break, so none can match across the
    # one between them.
    if _out_of_office(f"{(subject or '').lower()}\n{(body or '')[:600].lower()}"):
        found.append("out-of-office wording")
    return found
