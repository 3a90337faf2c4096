"""Unfilled parts of an email: what must never reach a candidate.

A template's placeholders are filled by the renderer, but a person can still send text with a hole
in it: a `{{ first_name }}` typed into a reply (the composer does not render), a `{% … %}` left
from an edited template, or an instruction the shipped templates leave for the sender to replace.
Shipped templates mark every such instruction one way, `[[Write the feedback here.]]`, so that
finding one is exact; the single-bracket form of the first shipped templates
(`[Write the feedback here.]`, still stored in older databases) is found too.

`check` is called when an outgoing row is made (triage.outbound.outbox.row_values) and again by
the delivery job right before the row goes (triage.outbound.tasks), so neither a row made before
this check existed nor one edited in the database can carry a hole to a candidate.
"""

from __future__ import annotations

import re

from triage.errors import BadInput

# {{ … }}, {% … %}, {# … #}: Jinja's three delimiters, never wanted in a finished email.
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
# The one way shipped templates mark an instruction to the sender.
_INSTRUCTION = re.compile(r"\[\[[^\[\]]{1,300}\]\]")
# The earlier shipped instructions: an imperative in single brackets, ending with a full stop.
_LEGACY_INSTRUCTION = re.compile(r"\[(?:Write|Say|Add|Insert|Describe|Explain|Give|Put)\b[^\[\]\n]{0,200}\]")
# A `{{` or `{%` left open is a hole too (the closing half was deleted by hand).
_OPEN = re.compile(r"\{\{|\{%|\}\}|%\}")


def find(text: str | None) -> list[str]:
    """Each unfilled placeholder or instruction in `text`, as written, in order, without repeats."""
    if not text:
        return []
    found: list[str] = []
    rest = text
    for pattern in (_JINJA, _INSTRUCTION, _LEGACY_INSTRUCTION):
        for match in pattern.finditer(rest):
            found.append(" ".join(match.group(0).split()))
        rest = pattern.sub(" ", rest)
    found.extend(match.group(0) for match in _OPEN.finditer(rest))
    return list(dict.fromkeys(found))


def problems(subject: str | None, body_text: str | None, body_html: str | None = None) -> list[str]:
    """What is unfilled, per part, in words: empty when the email can go."""
    said: list[str] = []
    for part, text in (("subject", subject), ("text", body_text), ("HTML", body_html)):
        holes = find(text)
        if holes:
            said.append(f"the {part} still has {', '.join(_short(h) for h in holes[:5])}")
    if subject is not None and not subject.strip():
        said.append("the subject is empty")
    if body_text is not None and not body_text.strip() and not (body_html or "").strip():
        said.append("the text is empty")
    return said


def advice(said: list[str]) -> str:
    """What to do about `problems`' findings, in one sentence."""
    holes = any("still has" in s for s in said)
    empty = any(s.endswith("is empty") for s in said)
    if holes and empty:
        return "Fill in or remove each placeholder, and write what is empty."
    return "Fill it in or remove it first." if holes else "Write it first."


def check(subject: str | None, body_text: str | None, body_html: str | None = None) -> None:
    """Refuse an email with an unfilled placeholder or instruction, naming each."""
    said = problems(subject, body_text, body_html)
    if said:
        raise BadInput(f"not sent: {'; '.join(said)}. {advice(said)}")


def _short(text: str, limit: int = 80) -> str:
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"
