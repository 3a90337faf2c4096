"""The inbox list's rows and links as HTML: whole texts behind clamped ones, skip links, /inbox as "/"."""

from __future__ import annotations

import re

import pytest

REASONS = ["the candidate answers our request for references sent on Monday", "2nd message in 3 days"]


@pytest.fixture
def fyi_archived_from(client, login, make_user, make_role, make_message, csrf):
    """archived_from(url): the htmx answer to archiving one of two FYI messages from the page at `url`."""
    role = make_role()
    message = make_message(role=role, lane="fyi")
    make_message(role=role, lane="fyi")
    login(make_user())

    def archive(url: str) -> str:
        headers = {"HX-Request": "true", "X-CSRFToken": csrf(), "HX-Current-URL": url}
        return client.post(f"/messages/{message.id}/archive", headers=headers).get_data(as_text=True)

    return archive


def test_archiving_from_the_inbox_alias_refreshes_the_open_count_and_lane_mark(fyi_archived_from):
    page = fyi_archived_from("http://localhost/inbox?lane=fyi")
    current = re.findall(r'<a href="[^"]*\?lane=(\w+)"[^>]*class="lane lane-\w+ current"', page)
    assert (current, bool(re.search(r'id="open-count" hx-swap-oob="true">· 1 open<', page))) == (["fyi"], True)


def test_a_rows_reasons_carry_their_whole_text_as_a_tooltip(client, login, make_user, make_role, make_message):
    make_message(role=make_role(), reasons=REASONS)
    login(make_user())
    page = client.get("/?lane=today").get_data(as_text=True)
    assert f'<td class="reasons"><span title="{"; ".join(REASONS)}">' in page


def test_a_rows_role_reference_carries_the_roles_title(client, login, make_user, make_role, make_message):
    make_message(role=make_role("Senior Staff Nurse, Intensive Care", reference="REQ-1043"))
    login(make_user())
    page = client.get("/?lane=today").get_data(as_text=True)
    assert 'title="REQ-1043 · Senior Staff Nurse, Intensive Care">REQ-1043</span>' in page


def test_the_inbox_offers_a_skip_link_to_the_messages(client, login, make_user, make_role, make_message):
    make_message(role=make_role())
    login(make_user())
    page = client.get("/").get_data(as_text=True)
    assert re.findall(r'<a class="skip" href="([^"]+)">', page) == ["#main", "#message-list"]
    assert 'id="message-list" tabindex="-1"' in page


def test_an_empty_lane_is_the_target_of_the_skip_link_too(client, login, make_user):
    login(make_user())
    page = client.get("/?lane=fyi").get_data(as_text=True)
    assert re.search(r'<p class="empty cleared" id="message-list" tabindex="-1">', page)
