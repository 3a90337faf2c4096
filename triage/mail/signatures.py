"""Split a message's signature off: "-- " blocks, "Sent from my iPhone", and sign-off blocks."""

from __future__ import annotations

import re

SEARCH_LINES = 20  # a signature starts within this many lines of the end
SIGN_OFF_TAIL = 6  # a sign-off word may be followed by this many non-blank lines (name, title…)

_RULE = re.compile(r"^(?:-{2,}|_{2,}|—|–)[ \t]*$")
_RULE_MARKS = "-_—–"  # what a rule line begins with
_DASH_NAME = re.compile(r"^[-–—]\s?[^\W\d_][\w.'’ -]{0,30}$")
_SLASH_NAME = re.compile(r"^/[^\W\d_][\w.'’ -]{0,30}$")
_NAME_MARKS = "-–—/"  # what the two patterns above begin with
_DEVICE = re.compile(
    r"^(?:sent (?:from|with|via|using|wirelessly from|from my)\b.{0,60}"
    r"|(?:envoyé|envoye) (?:de|depuis) (?:mon|ma)\b.{0,40}"
    r"|enviado (?:desde|de|do) (?:mi|meu|o)\b.{0,50}"
    r"|von meinem \S+(?: \S+){0,3} gesendet"
    r"|verzonden (?:vanaf|met) (?:mijn)?\b.{0,40}"
    r"|inviato da\b.{0,40}|skickat från\b.{0,40}|sendt fra\b.{0,40}|wysłane z\b.{0,40}"
    r"|odesláno z\b.{0,40}|отправлено с\b.{0,40}|get outlook for \w+.{0,20}"
    r"|iphone から送信|从我的 ?iphone ?发送)$",
    re.IGNORECASE,
)
# A sentence ("Sent from my desk, is much easier …") is not a device line.
_DEVICE_SENTENCE = re.compile(r",\s|\s(?:is|was|and|but)\s", re.IGNORECASE)
_SIGN_OFFS = frozenset(
    s.casefold()
    for s in (
        "regards",
        "best regards",
        "kind regards",
        "warm regards",
        "best wishes",
        "best",
        "cheers",
        "thanks",
        "thank you",
        "many thanks",
        "thanks again",
        "thanks a lot",
        "thx",
        "sincerely",
        "yours sincerely",
        "yours truly",
        "yours",
        "all the best",
        "br",
        "rgds",
        "ta",
        "talk soon",
        "mvh",
        "med venlig hilsen",
        "venlig hilsen",
        "hilsen",
        "kh",
        "bedste hilsner",
        "de bedste hilsner",
        "dbh",
        "med vennlig hilsen",
        "vennlig hilsen",
        "med vänlig hälsning",
        "vänlig hälsning",
        "med vänliga hälsningar",
        "vänliga hälsningar",
        "bästa hälsningar",
        "hälsningar",
        "hej då",
        "pozdrawiam",
        "z poważaniem",
        "z powazaniem",
        "pozdrowienia",
        "serdecznie pozdrawiam",
        "mit freundlichen grüßen",
        "mit freundlichen grüssen",
        "freundliche grüße",
        "viele grüße",
        "beste grüße",
        "liebe grüße",
        "gruß",
        "grüße",
        "lg",
        "vg",
        "mfg",
        "met vriendelijke groet",
        "met vriendelijke groeten",
        "vriendelijke groet",
        "groeten",
        "groet",
        "cordialement",
        "bien cordialement",
        "bien à vous",
        "salutations",
        "merci",
        "amitiés",
        "saludos",
        "un saludo",
        "atentamente",
        "saludos cordiales",
        "gracias",
        "cordiali saluti",
        "saluti",
        "distinti saluti",
        "grazie",
        "atenciosamente",
        "abraços",
        "cumprimentos",
        "obrigado",
        "obrigada",
        "с уважением",
        "спасибо",
        "ystävällisin terveisin",
        "terveisin",
        "üdvözlettel",
        "s pozdravem",
        "s pozdravom",
        "srdačan pozdrav",
        "lp",
        "saygılarımla",
        "敬具",
        "よろしくお願いします",
        "よろしくお願いいたします",
        "此致",
        "谢谢",
    )
)
_TRAILING_PUNCT = " \t,.!;:"


def _is_sign_off(line: str, text: str) -> bool:
    """`text` is the line stripped."""
    text = text.rstrip(_TRAILING_PUNCT).casefold()
    if text in _SIGN_OFFS:
        return True
    # "Thanks in advance," / "Best regards from Berlin," – a sign-off word opening a short line
    # that ends with a comma.
    if line.rstrip().endswith(",") and len(text) <= 40:
        tokens = text.split()
        return bool(tokens) and any(" ".join(tokens[:n]) in _SIGN_OFFS for n in (1, 2, 3))
    return False


def _is_device_line(text: str) -> bool:
    """`text` is the line stripped."""
    return len(text) <= 90 and bool(_DEVICE.match(text)) and not _DEVICE_SENTENCE.search(text)


def _delimiter(lines: list[str], i: int, hyphen_names: bool = True) -> bool:
    line = lines[i]
    stripped = line.strip()  # once: the checks below all look at it
    if not stripped:
        return False
    if _is_rule(line):
        # A rule with nothing under it separates nothing (Outlook leaves one above its header).
        return any(ln.strip() for ln in lines[i + 1 :])
    if _is_device_line(stripped):
        return True
    if (
        hyphen_names
        and line[0] in _NAME_MARKS
        and (_DASH_NAME.match(line.rstrip()) or _SLASH_NAME.match(line.rstrip()))
        and not _near_list_item(lines, i)
    ):
        return _only_short_lines_after(lines, i + 1, 4)
    if _is_sign_off(line, stripped):
        return _only_short_lines_after(lines, i + 1, SIGN_OFF_TAIL)
    return False


def _is_rule(line: str) -> bool:
    text = line.strip()
    if not text or text[0] not in _RULE_MARKS:  # most lines: no pattern to try
        return False
    return line.rstrip() in ("--", "-- ", "---") or bool(_RULE.match(text)) and not line[:1].isspace()


def _near_list_item(lines: list[str], i: int) -> bool:
    for j in (i - 1, i + 1):
        if 0 <= j < len(lines) and re.match(r"^\s*[-*•]\s", lines[j]):
            return True
    return False


def _only_short_lines_after(lines: list[str], j: int, limit: int) -> bool:
    """What follows a sign-off looks like a signature: few lines, none of them long prose.

    A second delimiter ends the count: a mailing-list footer under a "____" rule is a signature too.
    """
    filled: list[str] = []
    for k in range(j, len(lines)):
        if _is_rule(lines[k]):
            break
        if lines[k].strip():
            filled.append(lines[k])
    return len(filled) <= limit and all(len(ln.strip()) <= 60 for ln in filled)


def signature_start(lines: list[str], sender: str | None = None, *, hyphen_names: bool = True) -> int | None:
    """Index of the line where the signature begins, or None; the first line is never one.

    `sender` (a name or address) lets a bare "Name / title / phone" block count as a signature;
    `hyphen_names=False` keeps "-Name" lines (hyphen lists) in the text.
    """
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    first = 0
    while first < end and not lines[first].strip():
        first += 1
    start = max(first + 1, end - SEARCH_LINES)
    for i in range(start, end):
        if _delimiter(lines, i, hyphen_names):
            return i
    return _sender_line(lines, start, end, sender) if sender else None


def split_signature(text: str, sender: str | None = None) -> tuple[str, str | None]:
    """Return (text without signature, signature or None); the first line is never a signature."""
    lines = text.split("\n")
    at = signature_start(lines, sender)
    if at is None:
        end = len(lines)
        while end and not lines[end - 1].strip():
            end -= 1
        return "\n".join(lines[:end]).strip("\r\n"), None
    body = "\n".join(lines[:at]).rstrip()
    signature = "\n".join(lines[at:]).strip()
    return body.strip("\r\n"), signature or None


def _sender_tokens(sender: str) -> set[str]:
    local = sender.split("@", 1)[0] if "@" in sender else sender
    return {t.casefold() for t in re.split(r"[\s._+-]+", local) if len(t) >= 3}


def _sender_line(lines: list[str], start: int, end: int, sender: str) -> int | None:
    """The first line of a short block, near the end, that names the sender."""
    tokens = _sender_tokens(sender)
    if not tokens:
        return None
    for i in range(start, end):
        line = lines[i].strip()
        words = {w.casefold() for w in re.findall(r"[^\W\d_]+", line)}
        if (
            not line
            or len(line) > 40
            or line.endswith(",")
            or not (tokens & words)
            or not _only_short_lines_after(lines, i + 1, 5)
        ):
            continue
        # Climb over the name-like lines above it ("John Smith" above "Doe Inc").
        while i - 1 > start and _name_like(lines[i - 1]):
            i -= 1
        return i
    return None


def _name_like(line: str) -> bool:
    text = line.strip()
    return bool(text) and len(text) <= 30 and not text.endswith((".", ",", "!", "?", ":"))
