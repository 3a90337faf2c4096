"""The team overview: the week's headline, per-role counts, overdue Today items, the chart; line managers see theirs."""

from __future__ import annotations

import hashlib
import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest

from triage.db import Application, AppStage, Candidate, Channel, Lane, Message, MessageState
from triage.hiring import overview

_n = itertools.count()
NOW = datetime.now(UTC)


@pytest.fixture
def message(db_session):
    def build(role, lane: str, state=MessageState.triaged, received_at=None, **fields):
        raw = f"Subject: x{next(_n)}\r\n\r\nbody".encode()
        received = received_at or overview.week_start(NOW) + timedelta(minutes=5)
        db_session.add(
            Message(
                raw=raw,
                size=len(raw),
                content_hash=hashlib.sha256(raw).hexdigest(),
                dedupe_key=hashlib.sha256(raw).hexdigest(),
                channel=Channel.http,
                received_at=received,
                state=state,
                lane=Lane(lane),
                role_id=role.id if role else None,
                **fields,
            )
        )
        db_session.commit()

    return build


@pytest.fixture
def week(db_session, make_role, message):
    nurse, chef = make_role("Nurse", reference="REQ-1"), make_role("Chef", reference="REQ-2")
    for stage in ("applied", "applied", "interviewed", "rejected"):
        db_session.add(
            Application(candidate=Candidate(email=f"c{next(_n)}@example.org"), role_id=nurse.id, stage=AppStage(stage))
        )
    db_session.commit()
    message(nurse, "held", state=MessageState.answered)
    message(nurse, "feedback", state=MessageState.answered)  # a batch answered it: did not need anyone
    message(nurse, "today", state=MessageState.replied)
    message(nurse, "today", due_at=NOW - timedelta(hours=1))  # overdue
    message(chef, "fyi")
    message(None, "review")
    message(nurse, "today", received_at=overview.week_start(NOW) - timedelta(days=2))  # last week
    return nurse, chef


def test_the_headline_counts_the_week_and_what_needed_a_person(db_session, week):
    built = overview.build(db_session, list(week), True, NOW)
    assert built.headline == "6 messages in, 3 needed you"


def test_a_role_row_has_stages_lanes_answers_and_overdue(db_session, week):
    nurse_row = overview.build(db_session, list(week), True, NOW).rows[0]
    assert (
        nurse_row.stages["applied"],
        nurse_row.stages["interviewed"],
        nurse_row.lanes["today"],
        nurse_row.by_batch,
        nurse_row.personally,
        nurse_row.overdue,
    ) == (2, 1, 2, 2, 1, 1)


def test_the_page_draws_the_chart_and_a_line_manager_sees_only_her_role(client, login, make_user, week):
    nurse, chef = week
    login(make_user("line_manager", roles=[nurse]))
    page = client.get("/hiring/overview").get_data(as_text=True)
    assert "<svg" in page and "REQ-1" in page and "REQ-2" not in page and "4 messages in, 2 needed you" in page


def test_the_overview_says_where_to_forward_candidates_mail(client, login, make_user, week):
    login(make_user("recruiter"))
    page = client.get("/hiring/overview").get_data(as_text=True)
    line = re.search(r'<p class="forward-to" id="forward-to">(.*?)</p>', page, re.S)
    assert line and re.search(r"<code>[^<@]+@[^<]+</code>", line.group(1))
    assert 'href="/account/forwarding' in line.group(1)
