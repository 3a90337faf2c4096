"""Page templates keep to the pages' Content-Security-Policy."""

from __future__ import annotations


def test_no_page_uses_an_inline_style_the_csp_blocks():
    # The pages' CSP says style-src 'self': a style="" attribute is dropped by the browser (and
    # logged as a violation), so the layout it asked for never happens.
    from triage import ROOT

    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        if "emails" not in path.parts  # emails are not web pages: mail clients need inline styles
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if " style=" in line
    ]
    assert offenders == []
