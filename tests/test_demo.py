"""`triage demo`: roles and applicants set up, the mail fed through the real HTTP intake."""

import os
from collections import Counter

import pytest
from sqlalchemy import func, select

from triage.db import Application, JobRole, Message, MessageState, User
from triage.demo import cli as demo


@pytest.fixture
def seeded(settings, database, live_server):
    counts = demo.seed(settings, 7, live_server, per_role=6, echo=lambda *_: None)
    return counts


def test_demo_builds_two_teams_of_roles_and_people(seeded, db_session):
    roles = db_session.scalar(select(func.count()).select_from(JobRole))
    applications = db_session.scalar(select(func.count()).select_from(Application))
    managers = db_session.scalar(select(func.count()).select_from(User).where(User.role == "line_manager"))
    assert (roles, applications, managers) == (8, 48, 4)


def test_demo_mail_goes_through_http_intake(seeded, db_session):
    stored = db_session.scalar(select(func.count()).select_from(Message))
    assert seeded["failed"] == 0 and stored == seeded["accepted"] > 0


def test_demo_mail_is_triaged_into_several_lanes(seeded, settings, database):
    from triage.runtime import worker

    worker.build(settings).work(burst=True)
    with database.session() as session:
        states = Counter(session.scalars(select(Message.state)))
        lanes = Counter(lane for lane in session.scalars(select(Message.lane)) if lane)
    assert states[MessageState.received] == 0 and len(lanes) >= 3


def test_demo_refuses_a_database_with_roles(seeded, settings):
    assert not demo.is_empty(settings.database_url)


def test_the_demo_login_is_the_last_word_after_the_demo_finishes(settings, capsys):
    import sys

    from triage.runtime import up

    settings.var_dir.mkdir(parents=True, exist_ok=True)
    (settings.var_dir / "demo-login.txt").write_text("admin@triage.localhost s3cret-Pass\n")
    child = up.start("demo", [sys.executable, "-c", "print('demo: 8 roles')"], dict(os.environ), oneshot=True)
    child.done = lambda: print(up.demo_login(settings), flush=True)
    children = [child]
    up.supervise(children, dict(os.environ), lambda: not children)
    last = capsys.readouterr().out.strip().splitlines()[-4:]
    assert "admin@triage.localhost with password s3cret-Pass" in last[1] and "demo-login.txt" in last[2]
    assert last[0] == last[3] == "=" * 72
