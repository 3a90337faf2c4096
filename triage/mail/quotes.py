"""The new text of a reply: quoted history ("On … wrote:", Outlook header blocks, '>' quoting) removed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from triage.mail import forwarded_headers as words
from triage.mail import quote_headers as qh
from triage.mail.signatures import split_signature

_DASHED_WROTE = re.compile(r"^\s*-{2,}\s*(?P<inner>.+?)\s*-{2,}\s*$")
_FORWARD_ONLY = re.compile(
    r"forward|weitergeleitet|transf|reenviado|inoltrato|doorgestuurd|videresend"
    r"|vidarebefordrat|przekaz|encaminhad|reencaminhad|välitetty|edelleen|továbbított"
    r"|přeposlan|preposlan|proslijeđen|redirecționat|переадрес|пересыла|перенаправ"
    r"|переслан|iletil|転送|转发",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Splitter:
    """Where quoted history begins: the first line of its intro and the line after the intro."""

    start: int
    end: int
    kind: str  # "wrote", "separator", "forward", "header", "quote"


def find_splitter(lines: list[str], begin: int = 0, *, quoted_blocks: bool = False) -> Splitter | None:
    """Return the first quote intro at or after `begin` (a '>' block only if quoted_blocks)."""
    for i in range(begin, len(lines)):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            continue
        if quoted_blocks and qh.quote_depth(line):
            return Splitter(i, i, "quote")
        found = splitter_at(lines, i)
        if found:
            return found
    return None


def splitter_at(lines: list[str], i: int) -> Splitter | None:
    """Return the quote intro that starts exactly at line i, if any."""
    line = lines[i]
    # Every pattern below needs one of these characters; most lines of prose have none of them,
    # and testing for a character is far cheaper than trying the patterns.
    colon = ":" in line or "：" in line
    dash = "-" in line
    if (dash and words.FORWARD_SEPARATOR.match(line)) or (
        colon and qh.ends_with_colon(line) and words.FORWARD_INTRO.match(line)
    ):
        kind = "forward" if _FORWARD_ONLY.search(line) else "separator"
        return Splitter(i, i + 1, kind)
    if (dash or "_" in line) and words.RULE_LINE.match(line):
        j = i + 1
        while j < len(lines) and j <= i + 2 and qh.is_blank(lines[j]):
            j += 1
        block = qh.header_block(lines, j) if j < len(lines) else None
        if block and "from" in block.fields and len(block.fields) >= 2:
            return Splitter(i, block.end, "header")
        return None
    parsed = qh.header_line(line) if colon else None
    if (
        parsed
        and parsed[0] == "from"
        and _several_fields(line)
        and _describes_message(qh.inline_headers(qh.unquote(line)))
    ):
        return Splitter(i, i + 1, "header")  # "From: x Date: y" printed on one line
    if parsed and parsed[0] in ("from", "date", "subject", "to"):
        block = qh.header_block(lines, i)
        if block and _describes_message(block.fields):
            return Splitter(i, block.end, "header")
        return None
    if colon or dash:
        wrote = qh.wrote_line(lines, i)
        if wrote:
            return Splitter(i, wrote.end, "wrote")
        dashed = _DASHED_WROTE.match(line) if dash else None
        if dashed and (
            qh.wrote_line([dashed.group("inner") + ":"], 0) or _ENDS_WITH_VERB.search(dashed.group("inner"))
        ):
            return Splitter(i, i + 1, "wrote")
    at = "@" in line
    if (at or "<" in line) and _DATE_SENDER.match(line):
        end = i + 1 if at else i + 2
        if end <= len(lines) and "@" in " ".join(lines[i:end]):
            nxt = end
            while nxt < len(lines) and not lines[nxt].strip():
                nxt += 1
            if lines[end - 1].rstrip().endswith(":") or (nxt < len(lines) and qh.quote_depth(lines[nxt])):
                return Splitter(i, end, "wrote")
    if at and colon and _TIMED_SENDER.match(qh.unquote(line)):
        return Splitter(i, i + 1, "wrote")
    if "On" in line and _ON_DATE.match(line):
        for j in range(i + 1, min(len(lines), i + 7)):
            if _ENDS_WITH_VERB.search(lines[j]) and lines[j].rstrip().endswith(":"):
                return Splitter(i, j + 1, "wrote")
    return None


def _several_fields(line: str) -> bool:
    """Whether a line could name two header fields (a colon each, or Yahoo's colonless words)."""
    return line.count(":") + line.count("：") >= 2 or any(w in line for w in words.COLONLESS_WORDS)


def _describes_message(fields: dict[str, str]) -> bool:
    """From with a date, subject or recipient; or a date with a recipient (no From printed)."""
    keys = fields.keys()
    if "from" in keys:
        return len({"date", "subject", "to"} & keys) >= 1
    return "date" in keys and len({"to", "subject", "cc"} & keys) >= 1


_ENDS_WITH_VERB = re.compile(r"(?:^|\s)(?:" + words.WROTE_VERBS + r")\s*[:：]?\s*$", re.IGNORECASE)
_DATE_SENDER = re.compile(r"^\s*\d{2,4}[/.-]\d{1,2}[/.-]\d{1,4}\b[^\n]{0,120}(?:@|<\s*$)")
# "Thu, 26 Jun 2014 14:00:51 +0400 от Alexander L <abc@example.com>:" – a time, an address, a colon.
_TIMED_SENDER = re.compile(r"^[^\n]{0,120}\b\d{1,2}:\d{2}\b[^\n]{0,120}<[^<>\s]+@[^<>\s]+>\s*[:：]\s*$")
_ON_DATE = re.compile(r"^\s*On\s[^\n]*\d[^\n]*$")
# "reply On Wed, Apr 4, 2012 at 3:59 PM, bob@example.com wrote:" – text and intro on one line.
_SHARED_LINE = re.compile(r"^(?P<reply>.*?\S)[\s-]*(?P<intro>\bOn\s[^\n]{5,200}\bwrote:)\s*$")


def _lines(text: str) -> list[str]:
    """The text's lines; a reply and its "On … wrote:" intro that share a line become two lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if "wrote:" not in text:  # then no line holds an intro: skip the line by line look
        return lines
    out: list[str] = []
    for line in lines:
        m = _SHARED_LINE.match(line) if "wrote:" in line and not qh.quote_depth(line) else None
        if m and not line.lstrip().startswith("On "):
            out.extend([m.group("reply").rstrip(" -"), m.group("intro")])
        else:
            out.append(line)
    return out


def _quoted_block_end(lines: list[str], j: int) -> int:
    """The line after the '>' block starting at j, with the blank lines that follow it."""
    last = j
    k = j
    while k < len(lines):
        line = lines[k]
        if qh.quote_depth(line):
            last = k + 1
        elif line.strip() and not line.rstrip().endswith(">") and not _wrapped_inside(lines, k):
            break  # wrapped link lines such as " (http://…) >" stay inside the block
        k += 1
    while last < len(lines) and not lines[last].strip():
        last += 1
    return last


def _wrapped_inside(lines: list[str], k: int) -> bool:
    """A single unquoted line between quoted lines is a quoted line the client wrapped."""
    return k + 1 < len(lines) and qh.quote_depth(lines[k + 1]) > 0 and k > 0 and qh.quote_depth(lines[k - 1]) > 0


def strip_quotes(text: str) -> str:
    """Remove quoted history; keep the writer's own text, including text written below a quote."""
    lines = _lines(text)
    return "\n".join(_strip_lines(lines, 0)).strip()


def _strip_lines(lines: list[str], depth: int) -> list[str]:
    split = find_splitter(lines)
    if split is None:
        return _strip_trailing_quote(lines).split("\n")
    if split.kind == "forward":
        return lines
    j = split.end
    while j < len(lines) and not lines[j].strip():
        j += 1
    if split.kind == "wrote" and j < len(lines) and qh.quote_depth(lines[j]) and depth < 20:
        # The writer may answer below the quote: keep what follows the '>' block.
        end = _quoted_block_end(lines, j)
        return lines[: split.start] + _strip_lines(lines[end:], depth + 1) if end < len(lines) else lines[: split.start]
    return lines[: split.start]


def _strip_trailing_quote(lines: list[str]) -> str:
    """No intro line: drop a '>' block only when nothing but blank lines follows it."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    k = end
    while k and (qh.quote_depth(lines[k - 1]) or not lines[k - 1].strip()):
        k -= 1
    if k < end and k > 0:
        return "\n".join(lines[:k]).strip()
    return "\n".join(lines[:end]).strip()


def reply_text(text: str) -> str:
    """The new text only: quoted history and the signature removed."""
    body, _signature = split_signature(strip_quotes(text))
    return body


@dataclass(frozen=True)
class Reply:
    """A reply cut at its quote intro: the writer's text, the intro's fields, the quoted text."""

    top: str
    header: dict[str, str]
    quoted: str | None


def split_reply(text: str) -> Reply:
    """Split at the first quote intro: (text above, {"from", "date", …} of the intro, quoted text)."""
    lines = _lines(text)
    split = find_splitter(lines, quoted_blocks=True)
    if split is None:
        return Reply(text.strip(), {}, None)
    header: dict[str, str] = {}
    if split.kind == "wrote":
        wrote = qh.wrote_line(lines, split.start)
        if wrote:
            header = {"from": wrote.sender_raw, **({"date": wrote.date} if wrote.date else {})}
    elif split.kind == "header":
        block = qh.header_block(
            lines, split.start if not words.RULE_LINE.match(lines[split.start]) else split.start + 1
        )
        header = dict(block.fields) if block else {}
    rest = lines[split.end :]
    first = next((k for k, ln in enumerate(rest) if ln.strip()), None)
    if first is not None and qh.quote_depth(rest[first]):
        rest = rest[: _quoted_block_end(rest, first)]
    quoted = "\n".join(qh.unquote(ln) if qh.quote_depth(ln) else ln for ln in rest).strip()
    return Reply("\n".join(lines[: split.start]).strip(), header, quoted or None)
