"""Property: no query parameter, path id or JSON body sent to the batch and outbox API is a 5xx.

The parameters and body fields come from the API's own OpenAPI document, so a parameter added
there is fuzzed here too. Values mix what the schema asks for with what it does not (huge and
negative numbers, words, NUL, dates in year 9999, nested JSON), since a client's mistake must
be a 400 that names it, never a server error.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.accounts import users
from triage.db import AppStage

# The batch, outbox and role endpoints (POST /messages takes raw MIME: tests/intake covers it, and
# test_bad_parameters the id past the database's integer on GET /messages/{id}).
AREAS = ("/outbox", "/batches", "/roles")
FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ODD = st.sampled_from(
    ["", "-1", "0", "1", "2", "abc", "²", "1.5", "1e9", "null", "true", "\x00", "9999-12-31", "0001-01-01", " 7 "]
)
HUGE = st.integers(min_value=-(2**80), max_value=2**80)
SCALAR = st.one_of(
    st.none(), st.booleans(), HUGE, st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12)
)
ANY_JSON = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
MOMENTS = st.datetimes(timezones=st.just(UTC)).map(lambda when: when.isoformat()) | st.integers(1, 30).map(
    lambda days: (datetime.now(UTC) + timedelta(days=days)).isoformat()
)
SOON = st.integers(min_value=1, max_value=20).map(lambda days: (date.today() + timedelta(days=days)).isoformat())
DRAFT = {"roles": ["REQ-1"], "stages": ["interviewed"], "template": "status_update", "next_update_on": "2099-01-01"}
WORDS = st.sampled_from(["REQ-1", "all", "status_update", "Status update", *(s.value for s in AppStage)])


def _typed(schema: dict) -> st.SearchStrategy:
    """Values of the schema's own type, near the edges it should refuse or accept."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "integer":
        return st.integers(min_value=-3, max_value=5) | HUGE
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(_typed(schema.get("items", {})) | WORDS, max_size=3)
    if schema.get("format") == "date":
        return SOON | st.dates().map(str)
    if schema.get("format") == "date-time":
        return MOMENTS
    return WORDS | st.text(max_size=12)


def _query_value(schema: dict) -> st.SearchStrategy:
    return st.one_of(_typed(schema).map(str), ODD, st.text(max_size=12), HUGE.map(str))


def _resolve(document: dict, schema: dict) -> dict:
    """The properties of a body schema, following $ref and allOf."""
    if "$ref" in schema:
        return _resolve(document, document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    properties = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        properties.update(_resolve(document, part))
    return properties


def _operations(document: dict) -> list[tuple[str, str, dict]]:
    return [
        (method.upper(), path, operation)
        for path, item in sorted(document["paths"].items())
        if path.startswith(AREAS)
        for method, operation in sorted(item.items())
    ]


@pytest.fixture
def api(client, db_session, make_user, make_role, make_application):
    """(client, headers, the OpenAPI document), with a role to batch and a draft batch to act on."""
    role = make_role(reference="REQ-1")
    make_application(role)
    make_application(role)
    secret = users.create_token(db_session, make_user("admin"), "fuzz")
    db_session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.post("/api/v1/batches", json=DRAFT, headers=headers).status_code == 201
    return client, headers, client.get("/api/v1/openapi.json").json


def _path(data, path: str) -> str:
    def fill(match: re.Match) -> str:
        value = data.draw(st.integers(min_value=1, max_value=3) | HUGE.map(str) | ODD, label=match.group(1))
        return quote(str(value), safe="")

    return "/api/v1" + re.sub(r"\{(\w+)\}", fill, path)


@FUZZ
@given(data=st.data())
def test_no_query_parameter_or_path_id_makes_the_api_fail(api, data):
    client, headers, document = api
    method, path, operation = data.draw(st.sampled_from([op for op in _operations(document) if op[0] == "GET"]))
    query = {}
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query" and data.draw(st.booleans(), label=f"send {parameter['name']}"):
            query[parameter["name"]] = data.draw(_query_value(parameter.get("schema", {})), label=parameter["name"])
    url = _path(data, path) + ("?" + urlencode(query) if query else "")
    response = client.get(url, headers=headers)
    assert response.status_code < 500, (url, response.get_data(as_text=True)[:300])


@FUZZ
@given(data=st.data())
def test_no_json_body_makes_the_api_fail(api, data):
    client, headers, document = api
    method, path, operation = data.draw(st.sampled_from([op for op in _operations(document) if op[0] == "POST"]))
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    properties = {**_resolve(document, schema), "send_at": {"type": "string", "format": "date-time"}}
    # From a body that works, each field kept, changed to another value of its type, to any JSON, or left out.
    valid = {**DRAFT, "next_update_on": data.draw(SOON, label="next update")}
    body: object = {}
    for name, field in properties.items():
        how = data.draw(st.sampled_from(["keep", "keep", "typed", "any", "omit"]), label=name)
        if how == "keep" and name in valid:
            body[name] = valid[name]
        elif how == "typed":
            body[name] = data.draw(_typed(field), label=name)
        elif how == "any":
            body[name] = data.draw(ANY_JSON, label=name)
    if data.draw(st.integers(min_value=0, max_value=9), label="not an object") == 0:
        body = data.draw(ANY_JSON, label="body")
    url = _path(data, path)
    response = client.post(url, json=body, headers=headers)
    assert response.status_code < 500, (url, body, response.get_data(as_text=True)[:300])
