"""Quoted history inside HTML mail: the containers Gmail, Outlook, Apple Mail, Yahoo and others use."""

from __future__ import annotations

import lxml.etree
import lxml.html

from triage.mail.html import parse_html, tree_to_text
from triage.mail.quotes import strip_quotes

# Containers that hold only quoted history; they and everything inside them go.
_QUOTE_CONTAINERS = (
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' gmail_quote ')"
    " and not(contains(., 'Forwarded message'))]",
    "//blockquote[@type='cite']",
    "//div[contains(@class, 'yahoo_quoted')]",
    "//div[@class='moz-cite-prefix']",
    "//blockquote[contains(@id, 'mail_ru') or contains(@class, 'mailru')]",
    "//div[contains(@class, 'protonmail_quote')]",
    "//div[@id='OLK_SRC_BODY_SECTION']",
    "//div[contains(@class, 'zmail_extra')]",
    "//blockquote[contains(@class, 'zmail_extra')]",
    "//div[@data-marker='__QUOTED_TEXT__']",
)
# Markers after which the rest of the message is history (Outlook desktop/web, Windows Mail).
_CUT_FROM = (
    "//div[@id='divRplyFwdMsg']",
    "//div[@id='appendonsend']",
    "//hr[@id='stopSpelling']",
    "//div[@id='x_divRplyFwdMsg']",
    "//div[contains(@style, 'border-top:solid #E1E1E1') or contains(@style, 'border-top: solid #E1E1E1')"
    " or contains(@style, 'border-top:solid #B5C4DF') or contains(@style, 'border-top: solid #B5C4DF')]",
)


# Compiled once (root.xpath(text) compiles on every call, which cost as much as evaluating), and
# joined: one call instead of ten. Dropping the containers in document order rather than path by
# path removes the same elements and moves the same tail text: only the first path looks at text
# content, and both ways it sees the tree before any container is dropped.
_QUOTE_CONTAINER_PATH = lxml.etree.XPath(" | ".join(_QUOTE_CONTAINERS))
_CUT_FROM_PATHS = [lxml.etree.XPath(path) for path in _CUT_FROM]
_ANY_CUT_FROM = lxml.etree.XPath(" | ".join(_CUT_FROM))  # most mail has none of the markers
_BLOCKQUOTES = lxml.etree.XPath("//blockquote")


def _drop(el: lxml.html.HtmlElement) -> None:
    parent = el.getparent()
    if parent is None:
        return
    # Keep the element's tail text: it follows the quote and is not part of it.
    if el.tail and el.tail.strip():
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _cut_from(el: lxml.html.HtmlElement) -> None:
    """Remove the element and everything after it in document order."""
    node = el
    while node is not None and node.getparent() is not None:
        parent = node.getparent()
        for sibling in list(node.itersiblings()):
            parent.remove(sibling)
        node = parent
    el.getparent().remove(el)


def _cut_tree(html: str) -> lxml.html.HtmlElement | None:
    """The parsed HTML without the history after an Outlook or Windows Mail reply marker."""
    root = parse_html(html)
    if root is None:
        return None
    if _ANY_CUT_FROM(root):
        for path in _CUT_FROM_PATHS:
            found = path(root)
            if found:
                _cut_from(found[0])
    return root


def html_reply_text(html: str) -> str:
    """The writer's own text of an HTML reply: quote containers removed, then plain-text rules."""
    root = _cut_tree(html)
    if root is None:
        return ""
    for el in _QUOTE_CONTAINER_PATH(root):
        if el.getparent() is not None:
            _drop(el)
    for el in reversed(_BLOCKQUOTES(root)):
        # A plain <blockquote> with nothing after it in its parent is the quoted history; one
        # followed by more of the writer's text is a quotation the writer is discussing.
        if el.getparent() is not None and not _text_after(el) and "gmail_quote" not in (el.get("class") or ""):
            _drop(el)
    text = tree_to_text(root)
    if text.strip():
        return strip_quotes(text)
    # Everything sat inside quote containers (some clients wrap the whole reply): we cannot tell
    # the reply from the quote, so keep all of it rather than lose the writer's words. Rare
    # enough to parse again rather than render every message twice.
    return tree_to_text(_cut_tree(html))


def _text_after(el: lxml.html.HtmlElement) -> bool:
    if el.tail and el.tail.strip():
        return True
    return any((s.text_content() or "").strip() or (s.tail or "").strip() for s in el.itersiblings())
