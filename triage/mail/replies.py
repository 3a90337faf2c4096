"""A thread cut into its replies: each reply's header block, body and signature.

The newest message comes first; every later reply starts at its quote intro ("On … wrote:",
"Den … skrev …:", an Outlook "From:/Sent:" block, "-----Original Message-----"), including intros
inside '>' quoting. The intro recognisers are the ones quotes.py uses, so every language it knows
is covered at once (no per-call language list).
"""

from __future__ import annotations

import quopri
import re
from dataclasses import dataclass

from triage.mail import forwarded_headers as words
from triage.mail import quote_headers as qh
from triage.mail.quotes import splitter_at
from triage.mail.signatures import signature_start


@dataclass(frozen=True)
class Reply:
    """One message of a thread as written: intro lines, new text, signature (each may be empty)."""

    headers: str
    body: str
    signature: str

    @property
    def content(self) -> str:
        """The whole reply: intro, body and signature."""
        return "\n".join(part for part in (self.headers, self.body, self.signature) if part)


def _intro_at(lines: list[str], i: int) -> int | None:
    """End (exclusive) of the quote intro starting at line i, or None when none starts there."""
    if words.RULE_LINE.match(lines[i]):
        return None  # a bare rule stays with the text above; the header block below is the intro
    found = splitter_at(lines, i)
    if found is None:
        return None
    end = found.end
    if found.kind in ("separator", "forward"):
        # "-----Original Message-----" / "Begin forwarded message:" and the header block under it
        # are one intro.
        j = end
        while j < len(lines) and qh.is_blank(lines[j]) and j < end + 3:
            j += 1
        block = splitter_at(lines, j) if j < len(lines) else None
        if block is not None and block.kind == "header":
            end = block.end
    return end


def _intros(lines: list[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        end = _intro_at(lines, i) if lines[i].strip() else None
        if end is None:
            i += 1
            continue
        spans.append((i, end))
        i = max(end, i + 1)
    return spans


def _tidy(lines: list[str]) -> str:
    """Trim each line (the quoted thread keeps its '>' marks) and the blank lines around the text."""
    return "\n".join(line.strip() for line in lines).strip()


def _reply(lines: list[str], head_end: int, hyphen_names: bool) -> Reply:
    rest = lines[head_end:]
    # Find the signature on the text without quote marks, so "> Regards," counts as a sign-off.
    at = signature_start([qh.unquote(line) for line in rest], hyphen_names=hyphen_names)
    body, signature = (rest, []) if at is None else (rest[:at], rest[at:])
    return Reply(_tidy(lines[:head_end]), _tidy(body), _tidy(signature))


_QP_ESCAPE = re.compile(r"=[0-9A-F]{2}")
_QP_SOFT_BREAK = re.compile(r"=\n")


def _undo_quoted_printable(text: str) -> str:
    """Decode a body pasted still quoted-printable encoded ("w=\nrote:", "12:53=E2=80=AFAM").

    Only when both soft line breaks and escapes are present: either alone is ordinary text.
    """
    if not (_QP_SOFT_BREAK.search(text) and _QP_ESCAPE.search(text)):
        return text
    try:
        return quopri.decodestring(text.encode("utf-8")).decode("utf-8")
    except UnicodeDecodeError:
        return text


def split_replies(text: str, *, keep_hyphen_lists: bool = False) -> list[Reply]:
    """Cut a message into its replies, newest first; an intro on the first line opens the first reply.

    `keep_hyphen_lists` keeps "-Name" lines in the body instead of reading them as signatures.
    """
    text = _undo_quoted_printable(text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = text.split("\n")
    spans = _intros(lines)
    first_text = next((k for k, line in enumerate(lines) if line.strip()), 0)
    if not spans or spans[0][0] > first_text:
        spans.insert(0, (0, 0))
    else:
        spans[0] = (0, spans[0][1])
    replies: list[Reply] = []
    for n, (start, head_end) in enumerate(spans):
        stop = spans[n + 1][0] if n + 1 < len(spans) else len(lines)
        replies.append(_reply(lines[start:stop], head_end - start, not keep_hyphen_lists))
    return replies
