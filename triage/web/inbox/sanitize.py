"""A candidate's HTML made safe to look at: nh3 (ammonia) keeps a small allowlist, and remote
images are dropped unless the reader asked for them. The result is further confined by a
sandboxed iframe and its own Content-Security-Policy (see message.original)."""

from __future__ import annotations

from dataclasses import dataclass

import nh3

TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "center",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "font",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ATTRIBUTES = {
    "*": {"style", "align", "dir", "lang", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "font": {"color", "size", "face"},
    "td": {"colspan", "rowspan", "valign", "width"},
    "th": {"colspan", "rowspan", "valign", "width"},
    "table": {"width", "cellpadding", "cellspacing", "border"},
    "col": {"span", "width"},
    "ol": {"start", "type"},
}
# Only layout and type: no property that can take url() (background, list-style-image, content...).
STYLE_PROPERTIES = {
    "color",
    "font",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "text-align",
    "text-decoration",
    "line-height",
    "margin",
    "margin-top",
    "margin-bottom",
    "margin-left",
    "margin-right",
    "padding",
    "padding-top",
    "padding-bottom",
    "padding-left",
    "padding-right",
    "border",
    "border-collapse",
    "width",
    "max-width",
    "height",
    "vertical-align",
    "white-space",
    "display",
}
URL_SCHEMES = {"http", "https", "mailto"}


@dataclass(frozen=True)
class Sanitized:
    html: str
    blocked_images: int


def sanitize(html: str, *, show_images: bool = False) -> Sanitized:
    """Clean `html`; without show_images every remote <img> loses its src."""
    blocked = 0

    def keep(tag: str, attribute: str, value: str) -> str | None:
        nonlocal blocked
        if tag == "img" and attribute == "src":
            remote = value.strip().lower().startswith(("http:", "https:", "//"))
            if not (remote and show_images):
                blocked += remote
                return None  # cid: and data: parts are not served; remote ones only when asked
        return value

    cleaned = nh3.clean(
        html,
        tags=TAGS,
        clean_content_tags={"script", "style", "title", "head", "svg", "math"},
        attributes=ATTRIBUTES,
        attribute_filter=keep,
        url_schemes=URL_SCHEMES,
        filter_style_properties=STYLE_PROPERTIES,
        strip_comments=True,
        link_rel="noopener noreferrer nofollow",
    )
    return Sanitized(cleaned, blocked)


def document(body: str) -> str:
    """Wrap a sanitized fragment in a minimal page for the iframe."""
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        "<style>body{font:14px/1.5 system-ui,sans-serif;color:#1b1f24;margin:12px;"
        "overflow-wrap:anywhere}img{max-width:100%;height:auto}</style></head>"
        f"<body>{body}</body></html>"
    )
