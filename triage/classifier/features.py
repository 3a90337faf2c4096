"""Turn a (subject, body) pair into the one string the vectorizers read."""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable, Sequence

# A light, self-contained cleanup: triage.mail.quotes does the thorough job upstream, but the
# model must also cope with text that never went through it (CLI, API, training corpus).
_QUOTE_HEADERS = re.compile(
    r"""^\s*(?:
        on\b.{0,300}?\bwrote:?\s*$                     # Gmail / Apple Mail
      | (?:le|am|el|il|op|em)\b.{0,300}?               # the same in fr/de/es/it/nl/pt
        (?:a\s+écrit|schrieb|escribió|ha\s+scritto|schreef|escreveu)\b[^\n]{0,200}?:\s*$
      | -{2,}\s*original\s+message\s*-{2,}             # Outlook (old)
      | -{2,}\s*forwarded\s+message\s*-{2,}
      | _{10,}\s*$                                     # Outlook separator line
      | (?:from|von|de|da|van)\s?:\s.*\n\s*           # Outlook / Exchange header block
        (?:sent|date|gesendet|envoyé|enviado|inviato|verzonden|datum)\s?:\s
    )""",
    re.IGNORECASE | re.MULTILINE | re.VERBOSE,
)
# Two-line Gmail header: "On Tue, 3 Mar 2026 at 10:14, Jane <j@x.com>\nwrote:".
_WRAPPED_ON_WROTE = re.compile(r"^\s*on\b[^\n]{0,300}\n[^\n]{0,200}\bwrote:\s*$", re.IGNORECASE | re.MULTILINE)
_SIGNATURE_MARKERS = re.compile(
    r"""^(?:--\s*$                                      # RFC 3676 signature delimiter
      | sent\s+from\s+my\s+\w+                         # mobile footers
      | get\s+outlook\s+for\s+\w+
      | sent\s+from\s+(?:outlook|mail|yahoo\s+mail)\b
    )""",
    re.IGNORECASE | re.MULTILINE | re.VERBOSE,
)
_SUBJECT_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|wg|sv|tr|rv)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
# Applied to lower-cased text; the look-behind stops the email pattern retrying at every
# letter of every word (it was the slowest step of the whole Pipeline without it).
_URL = re.compile(r"(?:https?://|www\.)\S+")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DIGIT = re.compile(r"\d")
# Punctuation becomes its own token ("thanks," -> "thanks ,"): the same word then has one
# spelling for the character n-grams, which halves the distinct words a batch must analyse.
_PUNCTUATION = str.maketrans({c: f" {c} " for c in string.punctuation + "‘’“”–—…¿¡«»"})
_COMBINING = re.compile(r"[\u0300-\u036f]")
# Salutation and sign-off lines carry names and courtesy, not intent ("Dear Mr. Kaminski:",
# "Best regards,\nEric"); dropping them raised grouped-CV macro-F1 on real mail 0.611 -> 0.631
# (models/MODEL_CARD.md). Only whole lines of at most three words after the greeting word go,
# so "Hi Sarah, thanks for the offer" keeps its content.
_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening)|greetings)\b"
    r"(?:[ \t]+[\w.'/\[\]-]+){0,3}[ \t]*[,:!.]?[ \t]*\n",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"\n[ \t]*(?:(?:best|kind|warm|warmest|many|with)[ \t]+)?"
    r"(?:regards|wishes|thanks|thank\s+you|cheers|sincerely|best|respectfully|yours(?:\s+\w+)?)"
    r"[ \t]*[,.!]?[ \t]*\n[\s\S]{0,120}$",
    re.IGNORECASE,
)
# Template fields left in ("[Name]", "%NAME%", "${app.role}", "{{company}}", "<Company>") read as one token.
_PLACEHOLDER = re.compile(
    r"\[[A-Za-z][\w .'-]{0,30}\]|%[A-Z_]{2,30}%|\$\{[^}\n]{1,40}\}|\{\{[^}\n]{1,40}\}\}|<[A-Z][\w .-]{0,30}>"
)


def strip_history(body: str) -> str:
    """Drop quoted lines, everything from a reply header on, and a trailing signature."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    cut = len(text)
    for pattern in (_QUOTE_HEADERS, _WRAPPED_ON_WROTE, _SIGNATURE_MARKERS):
        match = pattern.search(text)
        # A header on the very first line would leave nothing; keep the text then (a forward
        # or a bare quote is still better classified on its content than on nothing).
        if match and match.start() > 0:
            cut = min(cut, match.start())
    text = text[:cut]
    if ">" not in text:
        return text
    return "\n".join(line for line in text.split("\n") if not line.lstrip().startswith(">"))


def strip_courtesy(body: str) -> str:
    """Drop a salutation line at the top and a sign-off block at the end, unless nothing would remain."""
    text = _GREETING.sub("", body, count=1) if body[:1].isspace() or body[:1].isalpha() else body
    closing = _CLOSING.search(text)
    if closing and text[: closing.start()].strip():
        text = text[: closing.start()]
    return text if text.strip() else body


def mask_placeholders(text: str) -> str:
    """Turn unfilled template fields into one token."""
    if "[" not in text and "%" not in text and "{" not in text and "<" not in text:
        return text
    return _PLACEHOLDER.sub(" placeholdertoken ", text)


def clean_subject(subject: str) -> str:
    """Remove Re:/Fwd: prefixes."""
    return _SUBJECT_PREFIX.sub("", subject or "").strip()


def normalize(text: str) -> str:
    """Lower-case, strip accents, mask addresses and links, map digits to 0."""
    text = text.lower()
    if not text.isascii():
        # NFKD + dropping combining marks is strip_accents="unicode", done in C, once.
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    if "://" in text or "www." in text:
        text = _URL.sub(" urltoken ", text)
    if "@" in text:
        text = _EMAIL.sub(" emailtoken ", text)
    # Digits carry shape ("£55,000", "2 weeks") more than value; 0 keeps the shape.
    return _DIGIT.sub("0", text).translate(_PUNCTUATION).strip()


def prepare_one(subject: str | None, body: str | None) -> str:
    """Return the model's view of one message: cleaned subject, then cleaned new text."""
    body = strip_courtesy(strip_history(body or ""))
    return normalize(mask_placeholders(f"{clean_subject(subject or '')}\n{body}"))


def prepare(pairs: Iterable[Sequence[str | None]]) -> list[str]:
    """The Pipeline's first step: (subject, body) pairs in, cleaned strings out."""
    return [prepare_one(pair[0], pair[1]) for pair in pairs]
