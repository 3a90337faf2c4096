"""A bad parameter is a 400 that names it, never a 500: the inbox's filters and the API's queries and bodies."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from triage.accounts import users
from triage.errors import BadInput
from triage.web import params


@pytest.fixture
def token(db_session, make_user):
    """A recruiter's bearer token, as headers."""
    secret = users.create_token(db_session, make_user("recruiter"), "t")
    db_session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def recruiter(make_user, login):
    login(make_user("recruiter"))


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("until=9999-12-31", "until"),
        ("since=0001-01-01", "since"),
        ("role=99999999999999999999999", "role"),
        ("role=%C2%B2", "role"),
        ("page=%C2%B2", "page"),
        ("lane=nope", "lane"),
    ],
)
def test_a_bad_inbox_filter_is_a_400_naming_it(client, recruiter, query, named):
    response = client.get(f"/inbox?{query}")
    assert response.status_code == 400 and named in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/outbox?limit=abc",
        "/api/v1/outbox?limit=-1",
        "/api/v1/outbox?batch_id=99999999999999999999999",
        "/api/v1/outbox?state=nope",
        "/api/v1/batches?limit=abc",
        "/api/v1/batches?limit=-1",
        "/api/v1/batches?limit=0",
    ],
)
def test_a_bad_api_query_parameter_is_a_400_naming_it(client, token, path):
    response = client.get(path, headers=token)
    name = path.split("?")[1].split("=")[0]
    assert (response.status_code, name in response.json["error"]) == (400, True)


def _choice(**fields) -> dict:
    body = {
        "roles": ["all"],
        "stages": ["interviewed"],
        "template": "status_update",
        "next_update_on": (date.today() + timedelta(days=7)).isoformat(),
    }
    return {**body, **fields}


@pytest.mark.parametrize(
    "fields",
    [
        {"limit": "abc"},
        {"limit": -1},
        {"limit": 10**30},
        {"role_ids": [10**30], "roles": None},
        {"template_id": "abc", "template": None},
        {"next_update_on": "9999-12-31"},
        {"next_update_on": 20261211},
        {"roles": "REQ-1"},
        {"roles": ["REQ\x001"]},
        {"stages": "interviewed"},
    ],
    ids=repr,
)
def test_a_bad_field_in_a_batch_preview_is_a_400(client, token, fields):
    body = {k: v for k, v in _choice(**fields).items() if v is not None}
    assert client.post("/api/v1/batches/preview", json=body, headers=token).status_code == 400


def test_a_batch_body_that_is_not_an_object_is_a_400(client, token):
    assert client.post("/api/v1/batches/preview", json=["all"], headers=token).status_code == 400


@pytest.mark.parametrize("area", ["batches", "outbox", "messages", "roles"])
def test_an_id_past_the_database_integer_is_a_404(client, token, area):
    assert client.get(f"/api/v1/{area}/{2**64}", headers=token).status_code == 404


def test_a_time_to_send_in_year_9999_is_a_400(client, token, make_role, db_session):
    make_role(reference="REQ-1")
    body = _choice(roles=["REQ-1"], send_at="9999-12-31T23:59:59-05:00")
    assert client.post("/api/v1/batches", json=body, headers=token).status_code == 400


@pytest.mark.parametrize("value", ["abc", "1.5", "²", True, 1.0, [1], "0", "2147483648", "9" * 5000])
def test_integer_refuses_what_is_not_a_whole_number_in_range(value):
    with pytest.raises(BadInput, match="limit must be"):
        params.integer(value, "limit")


@pytest.mark.parametrize(("value", "expected"), [(None, 7), ("", 7), ("12", 12), (" 12 ", 12), (12, 12)])
def test_integer_takes_digits_or_a_number_and_defaults_when_absent(value, expected):
    assert params.integer(value, "limit", default=7) == expected


def test_choice_names_the_options():
    with pytest.raises(BadInput, match=r"unknown lane 'x' \(one of: a, b\)"):
        params.choice("x", "lane", ["a", "b"])
