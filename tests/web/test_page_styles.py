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


def test_pages_say_a_date_as_15_dec_2026(client, login, make_user, make_role):
    # The roles page and a role's page showed the next update as 2026-12-15, the inbox as 15 Dec.
    from datetime import date

    role = make_role("Staff Nurse", next_update_on=date(2026, 12, 15))
    login(make_user())
    pages = [client.get(path).get_data(as_text=True) for path in ("/roles", f"/roles/{role.id}")]
    assert [("15 Dec 2026" in page, "2026-12-15" in page) for page in pages] == [(True, False)] * 2
