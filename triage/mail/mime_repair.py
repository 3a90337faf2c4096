"""Second chances for broken multiparts: find the boundary actually used, or read the body as text."""

from __future__ import annotations

import email
import email.message
import email.policy
import re

_BOUNDARY_LINE = re.compile(rb"^--([^\s]{1,200}?)(?:--)?[ \t]*\r?$", re.MULTILINE)


def repair_boundary(msg: email.message.Message, defects: list[str]) -> email.message.Message:
    """A multipart whose declared boundary is missing: reparse with the boundary its body uses."""
    if not msg.get_content_type().startswith("multipart/") or not isinstance(msg._payload, str):
        return msg
    body = msg._payload.encode("ascii", "surrogateescape")
    counts: dict[bytes, int] = {}
    for m in _BOUNDARY_LINE.finditer(body[:1_000_000]):
        counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    candidates = [b for b, n in counts.items() if n >= 2 and not set(b) <= set(b"-=_*")]
    if not candidates:
        return _as_text(msg, defects)
    boundary = max(candidates, key=lambda b: counts[b]).decode("ascii", "replace")
    try:
        msg.set_param("boundary", boundary)
        fixed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.compat32)
    except Exception:
        return _as_text(msg, defects)
    if isinstance(fixed._payload, list) and fixed._payload:
        defects.append("BoundaryRepaired: parts found under a boundary the header did not declare")
        return fixed
    return _as_text(msg, defects)


def _as_text(msg: email.message.Message, defects: list[str]) -> email.message.Message:
    """Treat a multipart without parts as the text it is, so its words are not lost."""
    try:
        looks_html = "<html" in msg._payload[:5000].lower() or "<body" in msg._payload[:5000].lower()
        msg.replace_header("Content-Type", "text/html" if looks_html else "text/plain")
        defects.append("MultipartWithoutParts: body read as text")
    except Exception:
        pass
    return msg
