"""Urgency: does a message mention a competing offer, an exploding deadline or a date to decide by?

Such a message goes to Today whatever its intent (routing.decide), so it is never held and
auto-acknowledged as a chaser, nor closed by a batch update. The intent model cannot see it: "any
news on my application? I have another offer until Friday" reads as a status check. These are
phrase rules, not a model: the cue is a few words that must not be averaged away, the reason must
quote what was found, and the rules must work on mail in the team's other languages without
training data in them. Measured on real mail by bench/classify_real.py; phrasings in
tests/mail/test_urgency.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from triage import dates

# A competing offer that is still open. An offer already taken ("I have accepted another
# offer") is a withdrawal, not a race: _SETTLED vetoes a match that it precedes.
_COMPETING = re.compile(
    r"""
      \b(?:another|other|competing|second|outside|alternative|external|different|separate|rival)
        \s+(?:\w+\s+){0,2}?(?:job\s+|position\s+|employment\s+|written\s+|formal\s+|verbal\s+)?offers?\b
    | \b(?:two|three|several|a\s+couple\s+of|multiple)\s+(?:other\s+)?(?:offers|prospects)\b
    | \b(?:got|received|have|had|holding|awaiting|expecting|waiting\s+(?:for|on))\s+(?:an?\s+)?(?:\w+\s+){0,2}?
        (?:job\s+)?offer\s+(?:from|with|at)\s+(?!you\b|your\b|us\b|the\s+(?:team|company)\b)(?:another|an?|[A-Z]\w+)
    | \boffer\s+(?:on\s+the\s+table|in\s+hand)\b
    | \b(?:another|a\s+different|an\s+other|other)\s+(?:company|employer|firm|team)\s+(?:has\s+|have\s+)?
        (?:made|extended|given|offered)\s+(?:me\s+)?(?:an?\s+)?(?:\w+\s+)?offer\b
    | \b(?:need|have|going|about|close\s+to\s+the\s+point\s+when\s+i\s+need)\s+to\s+accept\s+an?\s+(?:\w+\s+)?offer\b
    | \bdecide\s+whether\s+to\s+accept\s+(?:the|their|this|that|an?)\s+(?:\w+\s+)?offer\b
    | \bother\s+(?:process|interview\s+process|application)\w*\s+(?:is\s+|are\s+)?(?:in|at)\s+(?:its|their|the)\s+final
    # fr / de / es / it / nl / pt
    | \b(?:une\s+autre|offre\s+concurrente|autre\s+proposition)\b
    | \bautre\s+offre\b
    | \b(?:ein(?:e[nm]?)?\s+(?:anderes|weiteres|konkurrierendes)\s+(?:jobangebot|angebot|stellenangebot)
        |anderes\s+angebot|weiteres\s+angebot|gegenangebot)\b
    | \botra\s+(?:oferta|propuesta)\b
    | \baltra\s+offerta\b
    | \b(?:ander|nog\s+een)\s+(?:aanbod|baanaanbod)\b
    | \boutra\s+(?:proposta|oferta)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
# "interview offer" is our invitation, not a job offer.
_NOT_A_JOB_OFFER = re.compile(r"\binterview\s+offer|\boffer\s+(?:of|for)\s+(?:an?\s+)?interview", re.IGNORECASE)
# The candidate is leaving the race (cancels, withdraws, starts elsewhere): nothing left to hurry.
_LEAVING = re.compile(
    r"\bI\s+(?:have\s+to\s+|must\s+|am\s+writing\s+to\s+|would\s+like\s+to\s+|want\s+to\s+|'d\s+like\s+to\s+|"
    r"regret(?:fully)?\s+(?:to\s+)?|hereby\s+)?(?:withdraw|cancel)\b|\bI\s+(?:will|'ll)\s+(?:be\s+)?start(?:ing)?\s+(?:working|my\s+new)",
    re.IGNORECASE,
)
_SETTLED = re.compile(
    r"\b(?:accepted|took|taken|signed|chose|chosen|decided\s+to\s+(?:accept|take|go\s+with)|going\s+with|"
    r"angenommen|accepté|aceptado|acepté|aceito|aceitei|geaccepteerd|accettato)\b[^.!?\n]{0,40}$",
    re.IGNORECASE,
)
# A deadline on the candidate's decision (not ours: "the hiring deadline you gave me has passed").
_DEADLINE = re.compile(
    r"""
      \bexploding\s+offer\b
    | \b(?:offer|they|them|company|employer)\b[^.!?\n]{0,60}\b(?:deadlines?|expires?|expiring|lapses?)\b
    | \bdeadlines?\b[^.!?\n]{0,40}\b
        (?:to\s+(?:decide|accept|respond|answer|sign|reply)|for\s+(?:my|an?|the)\s+(?:decision|answer))
    | \bextend\s+(?:the|my|this)\s+deadline\b
    | \b(?:internship|contract|visa)\s+(?:expires|ends|runs\s+out)\b
    | \bi\s+(?:will\s+|'ll\s+|would\s+|may\s+|might\s+)?(?:need|have|must|am\s+required|got)\s+to\s+
        (?:make\s+(?:a|my)\s+(?:\w+\s+)?decision|decide|give\s+(?:them|him|her|an?)\b|respond\s+to\s+them|let\s+them\s+know|
         commit|sign)\b[^.!?\n]{0,60}\b(?:by|before|until|within|this|tomorrow|tonight|today|soon)\b
    | \bi\s+(?:plan|intend|hope|expect)\s+to\s+make\s+(?:a|my)\s+(?:firm|final)\s+decision\b
    | \bmust\s+(?:respond|answer|decide|reply)\s+(?:to\s+(?:them|it)\s+)?(?:by|before|this|within)\b
    | \b(?:answer|decision|response)\s+(?:is\s+)?(?:due|required|needed)\s+(?:by|before|on|this|within)\b
    | \bneed\s+(?:an?\s+)?(?:answer|decision|response)\s+(?:from\s+you\s+)?(?:by|before)\b
    # fr / de / es / nl / pt
    | \b(?:je\s+dois|il\s+me\s+faut)\s+
        (?:donner\s+(?:ma|une)\s+réponse|répondre|décider|me\s+décider)\s+(?:avant|d'ici|pour)\b
    | \bdate\s+limite\b
    | \b(?:muss|soll)\s+(?:mich\s+)?(?:bis|vor)\b[^!?\n]{0,40}\b(?:entscheiden|zusagen|absagen|antworten)\b
    | \b(?:muss|soll)\s+(?:mich\s+)?(?:entscheiden|zusagen|antworten)\s+(?:bis|vor)\b
    | \b(?:tengo|debo)\s+que\s+(?:decidir|responder|dar\s+una\s+respuesta|contestar)\s+(?:antes|para|hasta)\b
    | \bfecha\s+l[ií]mite\b
    | \b(?:moet|zal)\s+(?:voor|uiterlijk)\b[^.!?\n]{0,40}\b(?:beslissen|antwoorden|reageren)\b
    | \b(?:preciso|tenho\s+que|devo)\s+(?:decidir|responder|dar\s+uma\s+resposta)\s+(?:at[ée]|antes)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)

_WEEKDAYS = {
    name: i
    for i, names in enumerate(
        (
            ("monday", "mon", "lundi", "montag", "lunes", "maandag", "segunda"),
            ("tuesday", "tue", "tues", "mardi", "dienstag", "martes", "dinsdag", "terça"),
            ("wednesday", "wed", "mercredi", "mittwoch", "miércoles", "miercoles", "woensdag", "quarta"),
            ("thursday", "thu", "thurs", "jeudi", "donnerstag", "jueves", "donderdag", "quinta"),
            ("friday", "fri", "vendredi", "freitag", "viernes", "vrijdag", "sexta"),
            ("saturday", "sat", "samedi", "samstag", "sábado", "sabado", "zaterdag"),
            ("sunday", "sun", "dimanche", "sonntag", "domingo", "zondag"),
        )
    )
    for name in names
}
_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        (
            ("january", "jan", "janvier", "januar", "enero", "januari", "janeiro"),
            ("february", "feb", "février", "fevrier", "februar", "febrero", "februari", "fevereiro"),
            ("march", "mar", "mars", "märz", "marz", "marzo", "maart", "março"),
            ("april", "apr", "avril", "abril"),
            ("may", "mai", "mayo", "mei", "maio"),
            ("june", "jun", "juin", "juni", "junio", "junho"),
            ("july", "jul", "juillet", "juli", "julio", "julho"),
            ("august", "aug", "août", "aout", "agosto", "augustus"),
            ("september", "sep", "sept", "septembre", "septiembre", "setembro"),
            ("october", "oct", "octobre", "oktober", "octubre", "outubro"),
            ("november", "nov", "novembre", "noviembre", "novembro"),
            ("december", "dec", "décembre", "decembre", "dezember", "diciembre", "dezembro"),
        )
    )
    for name in names
}
_WEEKDAY_NAMES = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE = re.compile(
    rf"""
      (?P<rel>tomorrow|tonight|today|end\s+of\s+(?:the|this)\s+week|end\s+of\s+next\s+week|
              this\s+week|next\s+week|morgen|demain|mañana|manana)
    | (?:(?P<next>next|this|coming)\s+)?(?P<wd>{_WEEKDAY_NAMES})\b\.?,?
        (?:\s+(?P<wdmonth2>{_MONTH_NAMES})\.?\s+(?P<wdday2>\d{{1,2}})(?:st|nd|rd|th)?\b)?
        (?:\s+(?:the\s+)?(?P<wdday>\d{{1,2}})(?:st|nd|rd|th)?\b(?:\s+(?:of\s+)?(?P<wdmonth>{_MONTH_NAMES})\b)?)?
    | (?P<day1>\d{{1,2}})(?:st|nd|rd|th|\.)?\s+(?:of\s+|de\s+)?(?P<month1>{_MONTH_NAMES})\b
    | (?P<month2>{_MONTH_NAMES})\.?\s+(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\b
    | (?P<iso>\d{{4}}-\d{{2}}-\d{{2}})
    """,
    re.IGNORECASE | re.VERBOSE,
)
_WINDOW = 200  # characters after the cue in which its date is looked for

# A cheap gate before the two big patterns (most mail has no cue; detect() runs on every message
# of a bulk import): each branch of _COMPETING and _DEADLINE contains one of these words, so text
# without any of them cannot match. Keep it in step when a branch is added (test_urgency checks
# every phrase). Single words only, since the patterns allow any whitespace between words.
_CUES = (
    # _COMPETING
    "offer",  # also offerta
    "prospect",
    "final",
    "autre",
    "offre",
    "angebot",  # also jobangebot, stellenangebot, gegenangebot
    "otra",
    "outra",
    "aanbod",
    # _DEADLINE
    "deadline",
    "expir",
    "lapse",
    "internship",
    "contract",
    "visa",
    "deci",  # decide, decision
    "give",
    "respond",
    "let",
    "commit",
    "sign",
    "must",
    "due",
    "required",
    "need",
    "dois",
    "faut",
    "limite",
    "muss",
    "soll",
    "tengo",
    "debo",
    "fecha",
    "moet",
    "zal",
    "preciso",
    "tenho",
    "devo",
)


def _may_have_cue(text: str) -> bool:
    """False only when no cue word is in the text (the patterns cannot match then)."""
    low = text.lower()
    if not low.isascii():
        # re.IGNORECASE also matches "İ" and "ı" to i and "ſ" to s: fold them as it does ("İ"
        # lowers to "i" + a combining dot). Dropping characters only lets more text through.
        low = low.replace("\u0307", "").replace("ı", "i").replace("ſ", "s")
    return any(cue in low for cue in _CUES)


@dataclass(frozen=True)
class Urgency:
    kind: str  # "competing offer" or "deadline"
    cue: str  # the words found, as written
    deadline: date | None  # the date found near the cue, resolved against the message's date
    deadline_text: str | None  # that date as written, when it could not be resolved
    year: int | None = None  # the message's year: a deadline in another year says its year

    @property
    def reason(self) -> str:
        """What the inbox says: "mentions a competing offer with a deadline of Fri 11 Dec"."""
        what = "mentions a competing offer" if self.kind == "competing offer" else "mentions a deadline to decide"
        if self.deadline is not None:
            day = f"{dates.DAYS[self.deadline.weekday()][:3]} {dates.short_day(self.deadline)}"
            if self.year is not None and self.deadline.year != self.year:
                day = f"{day} {self.deadline.year}"
            return f"{what} with a deadline of {day}"
        if self.deadline_text:
            return f'{what} with a deadline of "{self.deadline_text}"'
        return f'{what} ("{self.cue}")'


def _open_competing(text: str) -> re.Match | None:
    for match in _COMPETING.finditer(text):
        if _NOT_A_JOB_OFFER.search(text, max(0, match.start() - 12), match.end() + 20):
            continue
        if not _SETTLED.search(text[max(0, match.start() - 60) : match.start()]):
            return match
    return None


def _resolve(found: re.Match, today: date) -> date | None:
    g = found.groupdict()
    if g["rel"]:
        rel = " ".join(g["rel"].lower().split())
        if rel in ("today", "tonight"):
            return today
        if rel in ("tomorrow", "morgen", "demain", "mañana", "manana"):
            return today + timedelta(days=1)
        friday = today + timedelta(days=(4 - today.weekday()) % 7)
        return friday + timedelta(days=7) if "next" in rel else friday
    if g["wd"]:
        if g["wdday"] and g["wdmonth"]:
            return _dated(int(g["wdday"]), _MONTHS[g["wdmonth"].lower()], today)
        if g["wdday2"]:
            return _dated(int(g["wdday2"]), _MONTHS[g["wdmonth2"].lower()], today)
        ahead = (_WEEKDAYS[g["wd"].lower()] - today.weekday()) % 7
        if g["next"] and g["next"].lower() == "next" and today.weekday() + ahead <= 6:
            ahead += 7  # "next Friday" said on a Monday is the Friday of next week
        return today + timedelta(days=ahead)
    if g["day1"]:
        return _dated(int(g["day1"]), _MONTHS[g["month1"].lower()], today)
    if g["day2"]:
        return _dated(int(g["day2"]), _MONTHS[g["month2"].lower()], today)
    try:
        return date.fromisoformat(g["iso"])
    except ValueError:
        return None


def _dated(day: int, month: int, today: date) -> date | None:
    # A date without a year is the next one on or after today (a deadline is ahead, not past).
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate >= today - timedelta(days=1):
            return candidate
    return None


def _deadline(text: str, start: int, received_at: datetime | None) -> tuple[date | None, str | None]:
    window = text[start : start + _WINDOW]
    found = _DATE.search(window)
    if found is None:
        return None, None
    if received_at is None:
        return None, " ".join(found.group(0).split()).rstrip(",.")
    return _resolve(found, received_at.date()), None


def detect(subject: str | None, body: str | None, received_at: datetime | None = None) -> Urgency | None:
    """The first urgency cue in the message's own text (quoted history excluded by the caller), or None."""
    text = f"{subject or ''}\n{body or ''}"
    if not _may_have_cue(text) or _LEAVING.search(text):
        return None
    competing = _open_competing(text)
    deadline = _DEADLINE.search(text)
    if competing is None and deadline is None:
        return None
    first = competing if competing is not None else deadline
    kind = "competing offer" if competing is not None else "deadline"
    # The date may follow either cue ("another offer ... they need an answer by Friday").
    starts = sorted(m.start() for m in (competing, deadline) if m is not None)
    when, written = None, None
    for start in starts:
        when, written = _deadline(text, start, received_at)
        if when or written:
            break
    year = received_at.year if received_at is not None else None
    return Urgency(kind, " ".join(first.group(0).split())[:80], when, written, year)
