"""A line manager sees only their own roles, on every page and in every API answer.

Two teams' roles share a candidate who applied to both. Everything of the other team's role B
(titles, subjects, bodies, the people who act on it) carries MARK, and so does everything with no
role: line managers see neither (users.visible_role_ids). The test opens every GET page of the app's
url_map: those without a path argument with each lane, a search and the other filters, those with
one with the ids of both teams' objects; role B's objects must answer 404.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from triage.accounts import users
from triage.db import Batch, BatchState, Outbound, Template
from triage.inbox import operations
from triage.outbound import templates as email_templates
from triage.web.inbox.queries import LANES

MARK = "Zebrafinch"
# Searched for in lower case: the search box shows the query back, and the marker test is
# case-sensitive, so only a result (not the echo) can bring "Zebrafinch" into the page.
SEARCH = "zebrafin"
_VARIABLE = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")
_ids = itertools.count(1)


@dataclass
class Teams:
    manager_email: str
    token: str
    queries: list[str]
    mine: dict[str, list[int]]  # path argument -> ids of role A's objects (and shared ones)
    theirs: dict[str, list[int]]  # path argument -> ids the line manager must get 404 for


def _outbound(session, kind: str, subject: str, application=None, **fields) -> Outbound:
    """An email we sent, on `application` (its role and candidate) when one is given."""
    if application is not None:
        fields.update(role_id=application.role_id, application_id=application.id, candidate_id=application.candidate_id)
    row = Outbound(
        message_id=f"<out{next(_ids)}@triage.localhost>",
        kind=kind,
        from_address="jobs@triage.localhost",
        to_address="ada@example.org",
        subject=subject,
        body_text=f"{subject}: the text",
        state="sent",
        sent_at=datetime.now(UTC) - timedelta(days=1),
        **fields,
    )
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def teams(db_session, make_user, make_role, make_candidate, make_application, make_message) -> Teams:
    role_a, role_b = make_role("Staff Nurse", "REQ-A"), make_role(f"{MARK} Chef", "REQ-B")
    ada = make_candidate("Ada Lovelace", "ada@example.org")
    app_a, app_b = make_application(role_a, ada), make_application(role_b, ada)
    manager = make_user("line_manager", roles=[role_a])
    colleague = users.create_user(db_session, "colleague@example.com", f"{MARK} Recruiter", PASSWORD, "recruiter")
    token = users.create_token(db_session, manager, "visibility")
    email_templates.ensure_default_templates(db_session)
    template = db_session.scalars(select(Template).order_by(Template.id)).first()
    now = datetime.now(UTC)

    # Role A: one message on Ada's application, one that only knows Ada (its timeline is her history).
    on_app = make_message(application=app_a, subject="Nurse references", lane="today")
    loose = make_message(role=role_a, candidate_id=ada.id, subject="About the nurse job", lane="feedback")
    batch_a = Batch(template_id=template.id, role_ids=[role_a.id], stages=["interviewed"], next_update_on=date.today())
    db_session.add(batch_a)
    db_session.flush()
    mine_out = [
        _outbound(db_session, "reply", "Re: Nurse references", app_a, reply_to_message_id=on_app.id),
        _outbound(db_session, "batch", "Nurse update", app_a, batch_id=batch_a.id),
    ]

    # Role B: a message in every lane, one only knowing Ada, an archived one; a colleague's actions.
    theirs = [
        make_message(application=app_b, lane=lane, subject=f"{MARK} {lane}", body=f"{MARK} wrote about {lane}")
        for lane, _ in LANES
    ]
    theirs.append(make_message(role=role_b, candidate_id=ada.id, subject=f"{MARK} no application", lane="today"))
    archived = make_message(application=app_b, subject=f"{MARK} archived", lane="fyi", received_at=now)
    theirs.append(archived)
    operations.archive(db_session, archived, colleague)
    operations.change_stage(db_session, app_b, colleague, "offer", now)
    batch_b = Batch(
        template_id=template.id,
        role_ids=[role_b.id],
        stages=["interviewed"],
        next_update_on=date.today(),
        state=BatchState.sent,
        created_by_id=colleague.id,
        skipped={f"{MARK}: no address": 1},
    )
    db_session.add(batch_b)
    db_session.flush()
    # No role: a Review message from Ada and one from a stranger, with a reply.
    no_role = [
        make_message(candidate_id=ada.id, subject=f"{MARK} which job?", lane="review"),
        make_message(subject=f"{MARK} hello", lane="review", from_name=f"{MARK} Stranger"),
    ]
    theirs_out = [
        _outbound(db_session, "reply", f"Re: {MARK} today", app_b, reply_to_message_id=theirs[0].id),
        _outbound(db_session, "ack", f"{MARK} thanks for applying", app_b),
        _outbound(db_session, "batch", f"{MARK} update", app_b, batch_id=batch_b.id),
        _outbound(
            db_session, "reply", f"Re: {MARK} which job?", candidate_id=ada.id, reply_to_message_id=no_role[0].id
        ),
    ]
    db_session.commit()

    queries = [
        "",
        *(f"?lane={lane}" for lane, _ in LANES),
        "?q=lovelace",
        f"?q={SEARCH}",
        f"?q={SEARCH}&lane=review&role={role_a.id}",
        f"?role={role_b.id}",
        f"?batch_id={batch_b.id}",
        "?state=sent&limit=500",
    ]
    return Teams(
        manager_email=manager.email,
        token=token,
        queries=queries,
        mine={
            "message_id": [on_app.id, loose.id],
            "role_id": [role_a.id],
            "outbound_id": [o.id for o in mine_out],
            "batch_id": [batch_a.id],
            "template_id": [template.id],  # templates belong to no role
            "application_id": [app_a.id],
            # Admin-only pages (a line manager is refused them whatever the id): the marker must not show.
            "candidate_id": [ada.id],
            "team_id": [1],
            "token": ["not-a-real-link"],  # a forwarding-address confirmation link: public, says nothing
        },
        theirs={
            "message_id": [m.id for m in theirs + no_role],
            "role_id": [role_b.id],
            "outbound_id": [o.id for o in theirs_out],
            "batch_id": [batch_b.id],
            "template_id": [],
            "application_id": [app_b.id],
            "candidate_id": [],
            "team_id": [],
            "token": [],
        },
    )


def _problems(client, path: str, headers: dict, hidden: bool) -> list[str]:
    """What is wrong with one page: the marker in it, or an object that should be hidden answering."""
    response = client.get(path, headers=headers)
    body = response.get_data(as_text=True)
    found = []
    if MARK in body:
        at = body.index(MARK)
        found.append(f"{path} shows {body[max(at - 100, 0) : at + 40]!r}")
    if hidden and response.status_code != 404:
        found.append(f"{path} answers {response.status_code}, not 404")
    return found


def _pages(app, api: bool, teams: Teams) -> Iterator[tuple[str, bool]]:
    """Every GET page of the web inbox (or of the API) as (path, whether it must answer 404)."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.endpoint.startswith("api.") != api:
            continue
        names = _VARIABLE.findall(rule.rule)
        if not names:
            yield from ((rule.rule + query, False) for query in teams.queries)
            continue
        if len(names) > 1 or names[0] not in teams.mine:
            pytest.fail(f"{rule.rule} takes {names}: give the fixture both teams' ids for it")
        for hidden, ids in ((False, teams.mine[names[0]]), (True, teams.theirs[names[0]])):
            yield from ((_VARIABLE.sub(str(i), rule.rule), hidden) for i in ids)


@pytest.mark.parametrize("surface", ["web", "api"])
def test_a_line_manager_sees_nothing_of_another_teams_role(surface, app, client, login, teams):
    if surface == "web":
        login(teams.manager_email)
        assert client.get(f"/messages/{teams.mine['message_id'][1]}").status_code == 200  # logged in, sees role A
        variants = ({}, {"HX-Request": "true"})
    else:
        variants = ({"Authorization": f"Bearer {teams.token}"},)
    problems = [
        problem
        for path, hidden in _pages(app, surface == "api", teams)
        for headers in variants
        for problem in _problems(client, path, headers, hidden)
    ]
    assert problems == []
