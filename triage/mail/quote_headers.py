"""Recognise the header blocks and "On … wrote:" lines that introduce quoted or forwarded text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from triage.mail import forwarded_headers as words

_QUOTE_MARKS = re.compile(r"^[ \t]*((?:>[ \t]?)+)")
_ADDRESS = re.compile(r"[^\s<>()\"'«»„“”,;:\[\]]+@[^\s<>()\"'«»„“”,;:\[\]]+\w")
_SPACE_LIKE = " \t\xa0\u200b\u200c\u200d\u2060"


def quote_depth(line: str) -> int:
    """Return how many '>' quote marks open the line."""
    if ">" not in line:  # most lines: skip the regex
        return 0
    m = _QUOTE_MARKS.match(line)
    return m.group(1).count(">") if m else 0


def unquote(line: str) -> str:
    """Return the line without its leading '>' quote marks."""
    return _QUOTE_MARKS.sub("", line, count=1) if ">" in line else line


def is_blank(line: str) -> bool:
    """True for lines that are empty once quote marks and (non-breaking) spaces are removed."""
    return not unquote(line).strip(_SPACE_LIKE)


@dataclass(frozen=True)
class HeaderBlock:
    """A run of 'Key: value' lines: canonical field -> raw value, and the lines it spans."""

    fields: dict[str, str]
    start: int
    end: int  # index of the first line after the block
    quoted: bool
    keys: tuple[str, ...] = field(default=())


# words.HEADER_LINE, in parts. As one pattern it tries its 200 words case-insensitively after every
# way of splitting a line's leading blanks between its optional parts: tens of microseconds on an
# indented line. But the parts cannot overlap (no header word begins with a blank, '>' or '*', or
# ends with a blank or '*', and none holds a colon), so each is found by stripping characters and
# checked once; the header word, the costly part, only when the text before the colon is short.
_HEADER_WORDS = [w for ws in words.HEADER_WORDS.values() for w in ws]
_KEY_MAX_WORDS = max(len(w.split()) for w in _HEADER_WORDS)
_KEY_MAX_LETTERS = max(len("".join(w.split())) for w in _HEADER_WORDS)
_KEY_LEAD = " \t>*"
_KEY_TRAIL = "* \t\xa0\u202f"
_LEAD = re.compile(r"[ \t]*(?:>[ \t]?)*[ \t]*\*{0,2}")  # quote marks and bold before the word
_HEADER_WORD = re.compile(words.ALL_WORDS, re.IGNORECASE)
_TRAIL = re.compile(r"\*{0,2}[ \t\xa0\u202f]*")  # between the word and the colon
_VALUE = re.compile(r"[ \t\xa0\u202f]*\*{0,2}[ \t]*(?P<value>.*)$")  # after the colon


def _first_colon(line: str) -> int:
    colon = line.find(":")
    wide = line.find("：")
    return wide if wide >= 0 and (colon < 0 or wide < colon) else colon


def header_line(line: str) -> tuple[str, str] | None:
    """Return (field, value) when the line is a 'From: …'-style header line in any language."""
    colon = _first_colon(line)
    if colon < 0:
        return None
    head = line[:colon]
    rest = head.lstrip(_KEY_LEAD)
    key = rest.rstrip(_KEY_TRAIL)
    parts = key.split()
    if not parts or len(parts) > _KEY_MAX_WORDS or sum(map(len, parts)) > _KEY_MAX_LETTERS:
        return None
    key_start = len(head) - len(rest)
    key_end = key_start + len(key)
    if not (
        _HEADER_WORD.fullmatch(key) and _LEAD.fullmatch(line, 0, key_start) and _TRAIL.fullmatch(line, key_end, colon)
    ):
        return None
    value = _VALUE.match(line, colon + 1)
    if not value:
        return None
    name = words.field_for(key)
    return (name, value.group("value").strip(_SPACE_LIKE + "*")) if name else None


def ends_with_colon(line: str) -> bool:
    """A necessary condition for words.FORWARD_INTRO ("Begin forwarded message:"), which is slow
    on indented lines for the same reason as HEADER_LINE."""
    return line.removesuffix("\n").rstrip(" \t").endswith((":", "："))


def header_block(lines: list[str], start: int, *, limit: int = 40, gaps: bool = False) -> HeaderBlock | None:
    """Read consecutive header lines from `start`; a line that is not one continues the last value.

    With `gaps`, blank lines between header lines are allowed (HTML tables and BlackBerry do that).
    """
    fields: dict[str, str] = {}
    keys: list[str] = []
    i = start
    last: str | None = None
    stop = min(len(lines), start + limit)
    while i < stop:
        line = lines[i]
        if is_blank(line):
            nxt = i + 1
            while gaps and nxt < stop and nxt <= i + 2 and is_blank(lines[nxt]):
                nxt += 1
            if gaps and fields and nxt < stop and header_line(lines[nxt]):
                i = nxt
                continue
            break
        parsed = header_line(line)
        if parsed:
            name, value = parsed
            if name in fields:
                break  # a second "From:" starts the next block, not this one
            fields[name] = value
            keys.append(name)
            last = name
        elif last is not None and _continues(lines, i, stop):
            fields[last] = f"{fields[last]} {unquote(line).strip(_SPACE_LIKE)}".strip()
        else:
            break
        i += 1
    if not fields:
        return None
    return HeaderBlock(fields, start, i, quote_depth(lines[start]) > 0, tuple(keys))


def _continues(lines: list[str], i: int, stop: int) -> bool:
    """A wrapped header value: another header line follows before the block's blank line."""
    for j in range(i + 1, min(stop, i + 3)):
        if is_blank(lines[j]):
            return False
        if header_line(lines[j]):
            return True
    return False


def inline_headers(run: str) -> dict[str, str]:
    """Split Yahoo's one-line 'From: a <x>To: b <y>Subject: s' run into fields."""
    marks = list(words.INLINE_KEY.finditer(run))
    fields: dict[str, str] = {}
    for n, m in enumerate(marks):
        end = marks[n + 1].start() if n + 1 < len(marks) else len(run)
        key = m.group("key") or m.group("bare")
        name = words.field_for(key) or words.COLONLESS_WORDS.get(key)
        if name and name not in fields:
            fields[name] = run[m.end() : end].strip(_SPACE_LIKE)
    return fields


@dataclass(frozen=True)
class WroteLine:
    """An 'On <date>, <someone> wrote:' attribution, possibly wrapped over several lines."""

    start: int
    end: int
    sender_text: str  # the sender and the rest of the line, as cut from it: cleaned on demand,
    rest_text: str  # because stripping quotes only needs to know where the attribution is

    @cached_property
    def _cleaned(self) -> tuple[str, str | None]:
        return _clean_attribution(self.sender_text, self.rest_text)

    @property
    def sender_raw(self) -> str:
        """The sender as written ("Jane Doe <jane@example.com>")."""
        return self._cleaned[0]

    @property
    def date(self) -> str | None:
        """The date as written, or None when the line shows none."""
        return self._cleaned[1]


_WROTE_LINE_MAX = 3
_DATE_OR_ADDRESS = re.compile(r"\d|@")
_DIGIT = re.compile(r"\d")


def wrote_line(lines: list[str], i: int) -> WroteLine | None:
    """Return the attribution starting at line i (it may wrap over up to three lines)."""
    first = unquote(lines[i]).strip(_SPACE_LIKE + "\ufeff")
    if not first or len(first) > 300:
        return None
    text = first
    for j in range(i, min(len(lines), i + _WROTE_LINE_MAX)):
        if j > i:
            nxt = unquote(lines[j]).strip(_SPACE_LIKE)
            # Only an attribution that already shows a date or an address wraps onto more lines.
            if not _DATE_OR_ADDRESS.search(first) or not nxt or header_line(lines[j]):
                return None
            text = f"{text} {nxt}"
        if text.endswith((":", "：")):
            found = _attribution(text)
            return WroteLine(i, j + 1, found[0], found[1]) if found else None
    return None


_DATE_HINT = re.compile(r"\d{1,4}[:./-]\d{1,2}|\b\d{4}\b|\d{1,2}:\d{2}")


def _initials(alternation: str) -> str:
    """A character class of the letters the alternatives of a plain word list begin with."""
    initials = {alternative[0] for alternative in alternation.split("|")}
    if not all(c.isalpha() for c in initials):
        raise ValueError("each alternative must begin with a letter")
    return "[" + "".join(sorted(initials)) + "]"


# The lookahead lets the engine pass over most positions with one class test instead of trying
# three dozen case-insensitive words at each: 2-3x faster on a typical "On …, X wrote:" line.
_VERB = re.compile(
    r"(?<![\w])(?=" + _initials(words.WROTE_VERBS) + r")(?:" + words.WROTE_VERBS + r")(?![\w])", re.IGNORECASE
)
_INTRO = re.compile(r"^(?:" + "|".join(re.escape(w) for w in words.WROTE_INTRO_WORDS) + r")(?=[\s,])", re.IGNORECASE)
_CONNECTOR = "|".join(re.escape(w) for w in words.WROTE_CONNECTORS)
_LEADING_CONNECTOR = re.compile(r"^(?:(?:" + _CONNECTOR + r")\s+)+", re.IGNORECASE)
_TRAILING_CONNECTOR = re.compile(r"(?:\s+(?=" + _initials(_CONNECTOR) + r")(?:" + _CONNECTOR + r"))+$", re.IGNORECASE)
_SEAM = re.compile(r"\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\s*[AaPp]\.?[Mm]\.?)?|,|\b\d{4}\b")
_OPEN_QUOTE = {'"': '"', "”": '“„"', "»": "«", "'": "'"}


def _attribution(text: str) -> tuple[str, str] | None:
    """Split an attribution line into (sender, rest of the line), both still to be cleaned."""
    text = " ".join(text.split()).replace("< ", "<").replace(" >", ">")
    if not text.endswith((":", "：")):
        return None
    verbs = list(_VERB.finditer(text))
    if not verbs:
        return None
    verb = verbs[-1]
    address = _ADDRESS.search(text)
    if address:
        start = address.start()
        while start > 0 and text[start - 1] in "<([ ":
            start -= 1
        end = address.end()
        while end < len(text) and text[end] in ">)]":
            end += 1
        name_start = _name_start(text, start, verb)
        sender = text[name_start:end]
        rest = text[:name_start] + " " + text[end:]
    else:
        if verb.start() == 0:
            return None
        name_start = _name_start(text, verb.start(), verb)
        sender = text[name_start : verb.start()]
        rest = text[:name_start]
        if not _DATE_HINT.search(rest):
            return None
    return sender, rest


def _clean_attribution(sender: str, rest: str) -> tuple[str, str | None]:
    """(sender, date) of a found attribution: verbs, intro words and connectors removed."""
    rest = _VERB.sub(" ", rest).replace("：", ":").strip(" ,:")
    rest = _INTRO.sub("", rest).strip(" ,")
    rest = _TRAILING_CONNECTOR.sub("", _LEADING_CONNECTOR.sub("", rest)).strip(" ,")
    sender = _LEADING_CONNECTOR.sub("", sender.strip(" ,"))
    return sender, (rest if _DIGIT.search(rest) else None)  # a date hint has digits: the digit test alone decides


def _name_start(text: str, pos: int, verb: re.Match[str]) -> int:
    """Where the display name before `pos` begins: an opening quote, or the last seam before it."""
    head = text[:pos].rstrip()
    if head and head[-1] in _OPEN_QUOTE:
        opening = (
            head.rfind(head[-1], 0, len(head) - 1)
            if head[-1] in "\"'"
            else max(head.rfind(q, 0, len(head) - 1) for q in _OPEN_QUOTE[head[-1]])
        )
        if opening >= 0:
            return opening
    floor = verb.end() if verb.end() <= pos else 0
    seams = [m.end() for m in _SEAM.finditer(head) if m.end() > floor]
    start = max(seams + [floor])
    intro = _INTRO.match(text)
    if intro and start < intro.end():
        start = intro.end()
    while start < len(head) and head[start] in " ,":
        start += 1
    stripped = _LEADING_CONNECTOR.match(text, start)
    return stripped.end() if stripped else start
