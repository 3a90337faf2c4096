"""The batch pages: choose and preview, send, live progress with failures, retry, cancel; templates."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import csrf_from
from triage.db import Template
from triage.outbound import templates
from triage.runtime import worker

NEXT = (date.today() + timedelta(days=7)).isoformat()


@pytest.fixture
def recruiter(make_user, login):
    user = make_user("recruiter")
    login(user)
    return user


@pytest.fixture
def role(make_role, make_application):
    role = make_role(title="Data Analyst", reference="REQ-9")
    for i in range(2):
        make_application(name=f"Person{i} Smith", role=role, stage="interviewed")
    return role


def form(client, role, db_session, **extra):
    token = csrf_from(client.get("/batches/").get_data(as_text=True))
    template = templates.default_template(db_session, templates.TemplateKind.status_update)
    return {
        "csrf_token": token,
        "role_ids": str(role.id),
        "stages": "interviewed",
        "template_id": str(template.id),
        "next_update_on": NEXT,
        "confirm": "2",  # what the confirmation step carries: the count the sender was asked about
        **extra,
    }


def test_page_lists_roles_and_templates(client, recruiter, role):
    page = client.get("/batches/").get_data(as_text=True)
    assert "REQ-9" in page and "Status update" in page


def test_preview_shows_count_and_first_email(client, recruiter, role, db_session):
    response = client.post("/batches/preview", data=form(client, role, db_session), headers={"HX-Request": "true"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "<strong>2</strong> candidates" in text and "Person0, an update on" in text


def test_send_then_live_progress_shows_failures_with_reasons(client, recruiter, role, db_session, settings, sink):
    sink.handler.modes = {role_app.candidate.email: "permfail" for role_app in role_apps(db_session, role)[:1]}
    response = client.post("/batches/", data=form(client, role, db_session))
    assert response.status_code == 302
    batch_url = response.headers["Location"]
    worker.build(settings).work(burst=True)
    fragment = client.get(batch_url.rstrip("/") + "/progress").get_data(as_text=True)
    assert re.search(r"<strong>1</strong> sent · <strong>1</strong> failed", fragment)
    assert "550 5.1.1" in fragment and "Retry the 1 failed" in fragment


def role_apps(db_session, role):
    from sqlalchemy import select

    from triage.db import Application

    return list(db_session.scalars(select(Application).where(Application.role_id == role.id).order_by(Application.id)))


def test_scheduled_batch_can_be_cancelled(client, recruiter, role, db_session):
    at = (date.today() + timedelta(days=2)).isoformat() + "T09:00"
    response = client.post("/batches/", data=form(client, role, db_session, send_at=at, tz_offset_minutes="0"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "scheduled" in page and "Cancel the batch" in page
    token = csrf_from(page)
    client.post(response.headers["Location"].rstrip("/") + "/cancel", data={"csrf_token": token})
    assert "cancelled" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_template_with_unknown_placeholder_is_not_saved(client, recruiter, db_session):
    token = csrf_from(client.get("/batches/templates/new").get_data(as_text=True))
    response = client.post(
        "/batches/templates/new",
        data={
            "csrf_token": token,
            "name": "Mine",
            "kind": "feedback",
            "subject": "Hi {{ first_name }}",
            "body_text": "{{ salary }}",
            "body_html": "",
        },
    )
    assert response.status_code == 400 and "unknown placeholder" in response.get_data(as_text=True)
    assert db_session.query(Template).filter_by(name="Mine").count() == 0


def test_template_live_preview_renders_for_a_real_candidate(client, recruiter, role, db_session):
    app_id = role_apps(db_session, role)[0].id
    token = csrf_from(client.get("/batches/templates/new").get_data(as_text=True))
    response = client.post(
        "/batches/templates/preview",
        data={
            "csrf_token": token,
            "kind": "feedback",
            "subject": "Hi {{ first_name }} ({{ role_reference }})",
            "body_text": "Dear {{ full_name }}",
            "body_html": "",
            "application_id": str(app_id),
        },
        headers={"HX-Request": "true"},
    )
    text = response.get_data(as_text=True)
    assert "Hi Person0 (REQ-9)" in text and "Dear Person0 Smith" in text


RUNAWAY = "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"


def test_template_live_preview_refuses_a_template_that_could_run_away(client, recruiter, role, db_session):
    token = csrf_from(client.get("/batches/templates/new").get_data(as_text=True))
    response = client.post(
        "/batches/templates/preview",
        data={
            "csrf_token": token,
            "kind": "feedback",
            "subject": "Hi {{ 9**(9**8) }}",
            "body_text": RUNAWAY,
            "application_id": str(role_apps(db_session, role)[0].id),
        },
        headers={"HX-Request": "true"},
    )
    text = response.get_data(as_text=True)
    assert "the ** operator is not allowed" in text and "loops ({% for %}) are not allowed" in text


def test_saving_a_template_that_could_run_away_is_a_400_naming_it(client, recruiter, db_session):
    token = csrf_from(client.get("/batches/templates/new").get_data(as_text=True))
    response = client.post(
        "/batches/templates/new",
        data={"csrf_token": token, "name": "Loop", "kind": "feedback", "subject": "Hi", "body_text": RUNAWAY},
    )
    assert response.status_code == 400 and "loops ({% for %}) are not allowed" in response.get_data(as_text=True)


def test_the_batches_page_has_no_inline_script(client, recruiter, role):
    page = client.get("/batches/").get_data(as_text=True)
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts and all("src=" in tag for tag in scripts) and "batches.js" in page


def test_the_page_policy_runs_no_inline_script(client, recruiter, role):
    policy = client.get("/batches/").headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy


def _scheduled_for(client, db_session, role, **fields):
    from triage.db import Batch

    at = (date.today() + timedelta(days=2)).isoformat() + "T09:00"
    response = client.post("/batches/", data=form(client, role, db_session, send_at=at, **fields))
    assert response.status_code == 302, response.get_data(as_text=True)
    batch = db_session.get(Batch, int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1]))
    return batch.scheduled_for, datetime.fromisoformat(at)


def test_a_scheduled_time_is_read_in_the_browsers_time_zone(client, recruiter, role, db_session):
    # The offset says UTC; the zone's name wins, as it knows daylight saving on the day itself.
    scheduled, local = _scheduled_for(client, db_session, role, tz="Pacific/Auckland", tz_offset_minutes="0")
    assert scheduled == local.replace(tzinfo=ZoneInfo("Pacific/Auckland"))


def test_without_a_known_zone_the_browsers_offset_is_used(client, recruiter, role, db_session):
    scheduled, local = _scheduled_for(client, db_session, role, tz="Not/AZone", tz_offset_minutes="-60")
    assert scheduled == local.replace(tzinfo=timezone(timedelta(hours=1)))


@pytest.mark.parametrize(
    "fields",
    [{"tz_offset_minutes": "99999999999999999999"}, {"send_at": "9999-12-31T23:59"}, {"template_id": "²"}],
    ids=["offset", "year 9999", "superscript digit"],
)
def test_a_bad_field_in_the_batch_form_is_a_400(client, recruiter, role, db_session, fields):
    data = form(client, role, db_session, send_at=(date.today() + timedelta(days=2)).isoformat() + "T09:00")
    assert client.post("/batches/", data={**data, **fields}).status_code == 400
