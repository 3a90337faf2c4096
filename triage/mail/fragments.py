"""A reply cut into fragments (text, quote, signature) with the ones a reader would not see marked hidden.

This is the fragment model GitHub's email_reply_parser made common, implemented here from the
behaviour its test suites assert: we walk the lines from the bottom up, because whether a block
is "hidden" depends on what lies below it (trailing quotes, signatures and header blocks are
hidden until the first block of new text is met). quotes.strip_quotes stays the product's
reply-text path; this model serves callers that want the structure (inline replies, per-block flags).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A signature starts with "--", "__", "-Name", or is a "Sent from my <device>" line.
_SIGNATURE_START = re.compile(r"\s*(?:--|__|-\w)|Sent from my(?:\s+\w+){1,3}\s*$")
# "From: …", "*Sent:* …" header lines of Outlook-style quote headers.
_HEADER = re.compile(r"\*?(?:From|Sent|To|Subject):\*?\s+\S")
_WROTE = re.compile(r"On\s.*wrote:\s*$")
# A rule of underscores or dashes written straight under the reply: give it a blank line above so
# it starts its own block.
_RULE_UNDER_TEXT = re.compile(r"([^\n])(?=\n ?[_-]{7,})")


@dataclass
class Fragment:
    """One block of a message: its text and how a reader treats it."""

    content: str
    quoted: bool = False
    signature: bool = False
    hidden: bool = False
    header: bool = False  # an Outlook-style "From:/Sent:/To:/Subject:" block

    def __str__(self) -> str:
        return self.content


@dataclass
class _Block:
    quoted: bool
    header: bool
    lines: list[str]  # bottom-up while being built
    signature: bool = False


def _join_wrapped_intro(text: str) -> str:
    """Join an "On <date>, <name>\\n<address>\\nwrote:" intro that a client wrapped over lines.

    Only the last "On " that is still followed by a "wrote:" can start it, which keeps an earlier
    sentence beginning with "On" ("On your host you can run:") out of the intro. A linear scan,
    not one big regex: a DOTALL lookahead here backtracks badly on long messages.
    """
    last_wrote = text.rfind("wrote:")
    if last_wrote < 0:
        return text
    start = text.rfind("On", 0, max(0, last_wrote - 2))
    while start >= 0 and not (text[start + 2 : start + 3].isspace() and start + 3 < last_wrote):
        start = text.rfind("On", 0, start)
    if start < 0 or (start > 0 and text[start - 1] != "\n"):
        return text
    end = start + 4
    while True:
        end = text.find("wrote:", end)
        if end < 0:
            return text
        end += len("wrote:")
        if end == len(text) or text[end] == "\n":
            break
    intro = text[start:end]
    return text[:start] + intro.replace("\n", " ") + text[end:] if "\n" in intro else text


def _is_signature_start(line: str) -> bool:
    return bool(_SIGNATURE_START.match(line))


def fragments(text: str) -> list[Fragment]:
    """Cut `text` into fragments, top to bottom, each flagged quoted / signature / header / hidden."""
    text = _RULE_UNDER_TEXT.sub(r"\1\n", _join_wrapped_intro(text.replace("\r\n", "\n")))
    blocks: list[_Block] = []
    current: _Block | None = None
    for raw in reversed(text.split("\n")):
        # Trailing spaces carry no meaning, except on a "-- " delimiter line.
        line = raw if _is_signature_start(raw) else raw.rstrip()
        blank = not line.strip()
        quoted = line.startswith(">")
        wrote = bool(_WROTE.match(line))
        header = wrote or bool(_HEADER.match(line))
        if current is not None and blank and _is_signature_start(current.lines[-1]):
            current.signature = True
            blocks.append(current)
            current = None
        if current is not None and (
            (current.quoted == quoted and current.header == header)
            # An intro or header line, and blank lines, above a quote belong to the quote.
            or (current.quoted and (header or blank))
        ):
            current.lines.append(line)
            continue
        if current is not None:
            blocks.append(current)
        current = _Block(quoted, header and not quoted, [line])
    if current is not None:
        blocks.append(current)
    return _flag_hidden(blocks)


def _flag_hidden(blocks: list[_Block]) -> list[Fragment]:
    """Bottom up: quotes, signatures, headers and blank blocks are hidden until new text is seen."""
    out: list[Fragment] = []
    seen_text = False
    for block in blocks:
        frag = Fragment("\n".join(reversed(block.lines)), block.quoted, block.signature, header=block.header)
        if frag.header:
            # Everything under a header block is the quoted message, whatever it looked like.
            for below in out:
                below.hidden = True
            seen_text = False
        if not seen_text:
            if frag.quoted or frag.signature or frag.header or not frag.content.strip():
                frag.hidden = True
            else:
                seen_text = True
        out.append(frag)
    out.reverse()
    return out


def visible_text(frags: list[Fragment]) -> str:
    """The fragments a reader sees, joined, without trailing whitespace."""
    return "\n".join(f.content for f in frags if not f.hidden).rstrip()
