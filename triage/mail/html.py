"""HTML mail to readable text, with or without the quoted history clients wrap in containers.

One iterative lxml pass instead of inscriptis: inscriptis 2.7 indents the content of every
<div> by two spaces (mail HTML is all divs), which breaks signature and quote detection on the
text, and it is several times slower; the text we need is simple block/line structure.
"""

from __future__ import annotations

import logging
import re

import lxml.etree
import lxml.html

log = logging.getLogger(__name__)

_SKIP = frozenset(
    {
        "script",
        "style",
        "head",
        "title",
        "template",
        "noscript",
        "object",
        "iframe",
        "svg",
        "math",
        "embed",
        "applet",
        "frameset",
        "select",
        "button",
        "xml",
    }
)
_BLOCK = frozenset(
    {
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "table",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "hr",
        "section",
        "article",
        "header",
        "footer",
        "address",
        "dl",
        "dt",
        "dd",
        "form",
        "center",
        "body",
        "html",
        "main",
        "nav",
        "aside",
        "figure",
        "figcaption",
        "fieldset",
        "tbody",
        "thead",
        "tfoot",
        "caption",
    }
)
_PARAGRAPH = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table", "ul", "ol"})
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
_BLANK_RUNS = re.compile(r"\n{3,}")
_ENCODING_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# Some clients write "Jane <jane@example.com>" into HTML unescaped; no real tag contains an '@'.
_BARE_ADDRESS = re.compile(r"<([^<>\s@/=\"']+@[^<>\s/=\"']+)>")


def parse_html(html: str) -> lxml.html.HtmlElement | None:
    """Parse HTML leniently; None when there is nothing to parse."""
    html = _BARE_ADDRESS.sub(r"&lt;\1&gt;", _ENCODING_DECL.sub("", html.replace("\x00", "")))
    if not html.strip():
        return None
    try:
        parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, huge_tree=True)
        return lxml.html.document_fromstring(html.encode("utf-8", "surrogatepass"), parser=parser)
    except (lxml.etree.LxmlError, ValueError, UnicodeError) as exc:
        log.debug("html parse failed: %s", type(exc).__name__)
        return None


def tree_to_text(root: lxml.html.HtmlElement | None) -> str:
    """Render the tree's visible text: blocks on their own lines, <br> as a line break."""
    if root is None:
        return ""
    out: list[str] = []
    skipping = 0
    pre = 0

    def emit(text: str | None) -> None:
        if not text:
            return
        out.append(text if pre else _SPACES.sub(" ", text))

    for event, el in lxml.etree.iterwalk(root, events=("start", "end")):
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if skipping or tag in _SKIP or not tag:
                skipping += 1
                continue
            if tag == "pre":
                pre += 1
            if tag in _BLOCK:
                out.append("\n\n" if tag in _PARAGRAPH else "\n")
            if tag == "li":
                out.append("- ")
            elif tag in ("td", "th"):
                out.append(" ")
            elif tag == "br":
                out.append("\n")
            emit(el.text)
        else:
            if skipping:
                skipping -= 1
                if skipping == 0:
                    emit(el.tail)
                continue
            if tag == "pre":
                pre -= 1
            if tag in _BLOCK:
                out.append("\n\n" if tag in _PARAGRAPH else "\n")
            elif tag == "hr":
                out.append("\n")
            emit(el.tail)
    return _tidy("".join(out))


def _tidy(text: str) -> str:
    lines = [line.replace("\xa0", " ").strip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    """Convert an HTML body to readable plain text (scripts, styles and comments dropped)."""
    return tree_to_text(parse_html(html))
