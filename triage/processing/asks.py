"""What a reply sends: real attachments and links, the evidence that it answers our request.

A signature logo or a calendar invite is not a document; a link to the candidate's LinkedIn in
every signature is not a submission. So only files that are not small inline images count, and
only links in the new text (quotes and signature are already stripped from reply_text).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

_LINK = re.compile(r"(?:https?://|www\.)[^\s<>\"')\]]+", re.IGNORECASE)
_PROFILE = re.compile(r"linkedin\.com/in/|twitter\.com/|x\.com/|facebook\.com/|instagram\.com/", re.IGNORECASE)
SMALL_IMAGE = 50_000  # bytes: below this an image is a logo or an emoji, not a screenshot of work
_NOT_DOCUMENTS = ("text/calendar", "application/ics", "application/pkcs7-signature", "application/pgp-signature")


def attachments(found: Iterable[Mapping]) -> int:
    """How many attachments look like documents the candidate sends (not logos, invites, signatures)."""
    count = 0
    for a in found:
        kind = str(a.get("content_type") or "").lower()
        if kind in _NOT_DOCUMENTS:
            continue
        if kind.startswith("image/") and (a.get("size") or 0) < SMALL_IMAGE:
            continue
        count += 1
    return count


def links(text: str | None) -> int:
    """How many links the text holds, profile links (the usual signature lines) left out."""
    return sum(1 for match in _LINK.finditer(text or "") if not _PROFILE.search(match.group(0)))
