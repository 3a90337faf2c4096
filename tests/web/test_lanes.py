"""The inbox page: lanes with counts, per role and across roles, Today's clock, access."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr class="msg-row[^"]*" id="m(\d+)"', page)


def test_inbox_shows_each_lane_count_across_roles(client, login, make_user, make_role, make_message):
    a, b = make_role("Nurse"), make_role("Chef")
    for lane, n in (("today", 2), ("feedback", 1), ("held", 3), ("fyi", 1), ("review", 1)):
        for i in range(n):
            make_message(role=a if i % 2 else b, lane=lane)
    login(make_user("recruiter"))
    page = client.get("/").get_data(as_text=True)
    counts = dict(re.findall(r'id="count-(\w+)">(\d+)<', page))
    assert counts == {"today": "2", "feedback": "1", "held": "3", "fyi": "1", "review": "1"}


def test_counts_per_role_are_shown_in_the_role_table(client, login, make_user, make_role, make_message):
    a, b = make_role("Nurse"), make_role("Chef")
    make_message(role=a, lane="held")
    make_message(role=a, lane="held")
    make_message(role=b, lane="held")
    login(make_user("recruiter"))
    page = client.get("/").get_data(as_text=True)
    assert f'aria-label="{a.reference} Held for batch: 2"' in page
    assert f'aria-label="{b.reference} Held for batch: 1"' in page


def test_closed_messages_are_not_counted(client, login, make_user, make_role, make_message):
    role = make_role()
    make_message(role=role, lane="today")
    make_message(role=role, lane="today", state="archived")
    make_message(role=role, lane="today", state="replied")
    login(make_user())
    page = client.get("/?lane=today").get_data(as_text=True)
    assert re.search(r'id="count-today">1<', page) and len(_rows(page)) == 1


def test_today_is_oldest_first(client, login, make_user, make_role, make_message):
    role = make_role()
    now = datetime.now(UTC)
    newer = make_message(role=role, received_at=now - timedelta(hours=1))
    older = make_message(role=role, received_at=now - timedelta(hours=20))
    login(make_user())
    assert _rows(client.get("/?lane=today").get_data(as_text=True)) == [str(older.id), str(newer.id)]


def test_today_shows_the_clock_and_marks_overdue(client, login, make_user, make_role, make_message):
    role = make_role()
    now = datetime.now(UTC)
    make_message(role=role, received_at=now - timedelta(hours=21, minutes=5), subject="fresh")
    make_message(role=role, received_at=now - timedelta(hours=27, minutes=5), subject="late")
    login(make_user())
    page = client.get("/?lane=today").get_data(as_text=True)
    assert "due in 2 h" in page
    assert re.search(r"<strong>overdue</strong> by 3 h", page)


def test_a_lane_lists_only_its_own_messages(client, login, make_user, make_role, make_message):
    role = make_role()
    fyi = make_message(role=role, lane="fyi")
    make_message(role=role, lane="today")
    login(make_user())
    assert _rows(client.get("/?lane=fyi").get_data(as_text=True)) == [str(fyi.id)]


def test_line_manager_sees_only_their_roles_messages_and_counts(client, login, make_user, make_role, make_message):
    mine, theirs = make_role("Nurse"), make_role("Chef")
    own = make_message(role=mine)
    make_message(role=theirs)
    make_message(role=None, lane="today")  # no role: not a line manager's business
    login(make_user("line_manager", roles=[mine]))
    page = client.get("/?lane=today").get_data(as_text=True)
    assert _rows(page) == [str(own.id)] and re.search(r'id="count-today">1<', page)


def test_line_manager_cannot_filter_to_another_role(client, login, make_user, make_role):
    mine, theirs = make_role("Nurse"), make_role("Chef")
    login(make_user("line_manager", roles=[mine]))
    assert client.get(f"/?role={theirs.id}").status_code == 404


def test_role_filter_narrows_the_list(client, login, make_user, make_role, make_message):
    a, b = make_role("Nurse"), make_role("Chef")
    wanted = make_message(role=a)
    make_message(role=b)
    login(make_user())
    assert _rows(client.get(f"/?lane=today&role={a.id}").get_data(as_text=True)) == [str(wanted.id)]


def test_a_bad_filter_is_a_clear_400(client, login, make_user):
    login(make_user())
    response = client.get("/?lane=nowhere")
    assert response.status_code == 400 and b"unknown lane" in response.data


def test_a_page_holds_fifty_and_links_the_next(client, login, make_user, make_role, make_message):
    role = make_role()
    for _ in range(51):
        make_message(role=role, lane="fyi")
    login(make_user())
    page = client.get("/?lane=fyi").get_data(as_text=True)
    assert len(_rows(page)) == 50 and 'rel="next"' in page
    assert len(_rows(client.get("/?lane=fyi&page=2").get_data(as_text=True))) == 1


def test_a_snooze_that_ended_puts_the_message_back(client, login, make_user, make_role, make_message):
    role = make_role()
    now = datetime.now(UTC)
    woken = make_message(role=role, lane="feedback", state="snoozed", snoozed_until=now - timedelta(minutes=1))
    make_message(role=role, lane="feedback", state="snoozed", snoozed_until=now + timedelta(hours=1))
    login(make_user())
    assert _rows(client.get("/?lane=feedback").get_data(as_text=True)) == [str(woken.id)]


def test_htmx_request_gets_only_the_results(client, login, make_user, make_role, make_message):
    make_message(role=make_role())
    login(make_user())
    page = client.get("/?lane=today", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "msg-row" in page and "<html" not in page


def test_htmx_lane_change_moves_the_current_mark_in_the_lane_nav(client, login, make_user, make_role, make_message):
    make_message(role=make_role(), lane="review")
    login(make_user())
    page = client.get("/?lane=review", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert re.findall(r'<a href="[^"]*\?lane=(\w+)"[^>]*class="lane lane-\w+ current"', page) == ["review"]


def test_sidebar_links_each_role_and_lane_count(client, login, make_user, make_role, make_message):
    role = make_role()
    make_message(role=role, lane="held")
    make_message(role=role, lane="held")
    login(make_user())
    page = client.get("/?lane=today").get_data(as_text=True)
    assert f'<a href="/?role={role.id}&amp;lane=held" aria-label="{role.reference} Held for batch: 2">2</a>' in page


def test_a_lane_merges_its_triaged_and_held_messages_in_time_order(client, login, make_user, make_role, make_message):
    role = make_role()
    now = datetime.now(UTC)
    made = [
        make_message(role=role, lane="today", state=state, received_at=now - timedelta(hours=hours))
        for state, hours in (("held", 1), ("triaged", 3), ("held", 5), ("triaged", 2))
    ]
    login(make_user())
    assert _rows(client.get("/?lane=today").get_data(as_text=True)) == [str(made[i].id) for i in (2, 1, 3, 0)]


def test_until_filter_keeps_the_whole_last_day(client, login, make_user, make_role, make_message):
    role = make_role()
    now = datetime.now(UTC)
    kept = make_message(role=role, lane="fyi", received_at=now - timedelta(days=3))
    make_message(role=role, lane="fyi", received_at=now - timedelta(hours=1))
    until = (now - timedelta(days=3)).date().isoformat()
    login(make_user())
    assert _rows(client.get(f"/?lane=fyi&until={until}").get_data(as_text=True)) == [str(kept.id)]
