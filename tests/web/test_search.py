"""Search: full-text on PostgreSQL, substring (ILIKE) on SQLite; the same page either way."""

from __future__ import annotations

import re
from datetime import UTC

import pytest
from sqlalchemy import text

from triage.web.inbox.search import CANDIDATE_DOCUMENT, MESSAGE_DOCUMENT, tsquery


def _rows(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr class="msg-row[^"]*" id="m(\d+)"', page)]


@pytest.fixture
def backend(db_session) -> str:
    return db_session.get_bind().dialect.name


@pytest.fixture
def postgresql_only(backend):
    if backend != "postgresql":
        pytest.skip("full-text search runs on PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def sqlite_only(backend):
    if backend != "sqlite":
        pytest.skip("the ILIKE fallback runs on SQLite")


def test_search_finds_subject_body_and_candidate_in_every_lane_and_state(
    client, login, make_user, make_role, make_application, make_candidate, make_message
):
    role = make_role()
    by_subject = make_message(role=role, lane="fyi", subject="Portfolio link")
    by_body = make_message(role=role, lane="today", body="my portfolio is online", state="archived")
    by_name = make_message(application=make_application(role, make_candidate("Pat Portfolio-Smith")), subject="hi")
    make_message(role=role, subject="unrelated", body="nothing")
    login(make_user())
    found = _rows(client.get("/?q=portfolio").get_data(as_text=True))
    assert sorted(found) == sorted([by_subject.id, by_body.id, by_name.id])


def test_search_finds_the_candidate_by_email_address(
    client, login, make_user, make_role, make_application, make_candidate, make_message
):
    role = make_role()
    hit = make_message(
        application=make_application(role, make_candidate("Kim Park", "kim.park@example.net")),
        subject="hello",
        body="see attached",
    )
    make_message(application=make_application(role, make_candidate("Lee Chan", "lee@example.net")), subject="hello")
    login(make_user())
    assert _rows(client.get("/?q=kim.park@example.net").get_data(as_text=True)) == [hit.id]


def test_search_needs_every_word(client, login, make_user, make_role, make_message):
    role = make_role()
    hit = make_message(role=role, subject="Offer letter signed", body="attached")
    make_message(role=role, subject="Offer question", body="attached")
    login(make_user())
    assert _rows(client.get("/?q=offer+letter").get_data(as_text=True)) == [hit.id]


def test_search_respects_line_manager_roles(client, login, make_user, make_role, make_message):
    mine, theirs = make_role("Nurse"), make_role("Chef")
    own = make_message(role=mine, subject="offer letter")
    make_message(role=theirs, subject="offer letter")
    login(make_user("line_manager", roles=[mine]))
    assert _rows(client.get("/?q=offer").get_data(as_text=True)) == [own.id]


def test_search_combines_with_the_role_filter(client, login, make_user, make_role, make_message):
    nurse, chef = make_role("Nurse"), make_role("Chef")
    hit = make_message(role=nurse, subject="references attached")
    make_message(role=chef, subject="references attached")
    login(make_user())
    assert _rows(client.get(f"/?q=references&role={nurse.id}").get_data(as_text=True)) == [hit.id]


def test_search_pages_newest_first(client, login, make_user, make_role, make_message):
    from datetime import datetime, timedelta

    role = make_role()
    now = datetime.now(UTC)
    made = [
        make_message(role=role, subject=f"timesheet {i}", received_at=now - timedelta(minutes=i)) for i in range(52)
    ]
    login(make_user())
    second = _rows(client.get("/?q=timesheet&page=2").get_data(as_text=True))
    assert second == [made[50].id, made[51].id]


def test_query_syntax_in_the_search_box_is_only_text(client, login, make_user, make_role, make_message):
    make_message(role=make_role(), subject="anything")
    login(make_user())
    response = client.get("/?q=" + "a%26b%7C!c%27+%3A*+(d)+%5C")  # a&b|!c' :* (d) \
    assert response.status_code == 200


def test_a_lone_percent_sign_is_not_a_wildcard(client, login, make_user, make_role, make_message):
    make_message(role=make_role(), subject="100 sure")
    login(make_user())
    assert _rows(client.get("/?q=%25").get_data(as_text=True)) == []


def test_ilike_fallback_treats_percent_literally(sqlite_only, client, login, make_user, make_role, make_message):
    role = make_role()
    hit = make_message(role=role, subject="100% sure")
    make_message(role=role, subject="100 sure")
    login(make_user())
    assert _rows(client.get("/?q=100%25").get_data(as_text=True)) == [hit.id]


def test_ilike_fallback_matches_inside_words(sqlite_only, client, login, make_user, make_role, make_message):
    hit = make_message(role=make_role(), subject="Portfolio link")
    login(make_user())
    assert _rows(client.get("/?q=tfol").get_data(as_text=True)) == [hit.id]


def test_full_text_matches_word_prefixes_not_word_middles(
    postgresql_only, client, login, make_user, make_role, make_message
):
    role = make_role()
    hit = make_message(role=role, subject="Portfolio link")
    make_message(role=role, subject="Myportfolio")
    login(make_user())
    assert _rows(client.get("/?q=portf").get_data(as_text=True)) == [hit.id]


def test_full_text_finds_parts_of_hyphenated_names(
    postgresql_only, client, login, make_user, make_role, make_application, make_candidate, make_message
):
    role = make_role()
    hit = make_message(application=make_application(role, make_candidate("Ana Lopez-Garcia")), subject="hi")
    login(make_user())
    assert _rows(client.get("/?q=garcia").get_data(as_text=True)) == [hit.id]


@pytest.mark.parametrize(
    "table, name, document",
    [
        ("messages", "ix_messages_search", MESSAGE_DOCUMENT),
        ("candidates", "ix_candidates_search", CANDIDATE_DOCUMENT),
    ],
)
def test_full_text_query_can_use_its_gin_index(postgresql_only, db_session, table, name, document):
    """The document's constants are written into the SQL, so the planner matches the expression index."""
    from sqlalchemy import select

    from triage.db import Message
    from triage.web.inbox.search import matches

    db_session.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({document.format(t='')})"))
    db_session.execute(text("SET LOCAL enable_seqscan = off"))
    compiled = select(Message.id).where(matches(db_session, "portfolio")).compile(db_session.get_bind())
    cursor = db_session.connection().connection.cursor()
    cursor.execute("EXPLAIN " + str(compiled), compiled.params)  # parameters bound as the app binds them
    plan = "\n".join(row[0] for row in cursor.fetchall())
    db_session.rollback()
    assert name in plan


@pytest.mark.parametrize(
    "q, expected",
    [
        ("portfolio", "'portfolio':*"),
        ("Offer  letter", "'Offer':* & 'letter':*"),
        ("kim.park@example.net", "'kim.park@example.net':*"),
        ("a&b|!c' :* (d) \\", "'a':* & 'b':* & 'c':* & 'd':*"),
        ("% -- ..", None),
        (
            "one two three four five six seven eight nine",
            " & ".join(f"'{w}':*" for w in "one two three four five six seven eight".split()),
        ),
    ],
)
def test_tsquery_keeps_words_and_drops_syntax(q, expected):
    assert tsquery(q) == expected
