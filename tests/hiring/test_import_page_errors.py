"""The import pages' own failures: a bad file named on the preview, the date order said, and Redis down."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, csrf_from, free_port
from triage.db import Application


@pytest.fixture
def down_client(make_settings):
    """A client of an app whose Redis does not answer (nothing listens on its port); same database."""
    from triage import create_app

    app = create_app(make_settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"))
    yield app.test_client()
    app.extensions["triage.database"].dispose()


def _login(client, user) -> None:
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})


def _preview(client, role, data: bytes, **fields):
    token = csrf_from(client.get(f"/hiring/roles/{role.id}/import").get_data(as_text=True))
    return client.post(
        f"/hiring/roles/{role.id}/import/preview",
        data={"file": (io.BytesIO(data), "export.csv"), "csrf_token": token, "timezone": "UTC", **fields},
        content_type="multipart/form-data",
    )


GOOD = b"Name,Email,Stage,Applied At\nAnn,ann@example.com,Applied,01/10/2026\nBob,bob@example.com,Applied,13/10/2026\n"


def test_the_preview_says_which_order_dates_were_read_in(client, make_user, make_role):
    role = make_role()
    _login(client, make_user())
    page = _preview(client, role, GOOD).get_data(as_text=True)
    assert "Dates in column &#39;Applied At&#39; read as day/month/year (13/10/2026 on line 3" in page


def test_the_preview_names_an_unclosed_quote_and_offers_no_import(client, make_user, make_role):
    role = make_role()
    _login(client, make_user())
    data = b'Name,Email,Stage,Source\nAnn,ann@example.com,Applied,"LinkedIn\nBob,bob@example.com,Applied,Web\n'
    reply = _preview(client, role, data)
    page = reply.get_data(as_text=True)
    assert (
        reply.status_code,
        "a quote in column &#39;Source&#39; is never closed" in page,
        'name="token"' in page,
    ) == (
        400,
        True,
        False,
    )


def test_a_preview_while_redis_is_down_is_a_503_naming_the_cause(down_client, make_user, make_role):
    role = make_role()
    _login(down_client, make_user())
    reply = _preview(down_client, role, GOOD)
    page = reply.get_data(as_text=True)
    assert (reply.status_code, "the preview could not be stored: Redis unavailable" in page) == (503, True)


def test_an_import_while_redis_is_down_is_a_503_and_imports_nothing(
    client, down_client, make_user, make_role, db_session
):
    role = make_role()
    user = make_user()
    _login(client, user)
    token = re.search(r'name="token" value="([^"]+)"', _preview(client, role, GOOD).get_data(as_text=True)).group(1)
    _login(down_client, user)
    form = csrf_from(down_client.get(f"/hiring/roles/{role.id}/import").get_data(as_text=True))
    reply = down_client.post(
        f"/hiring/roles/{role.id}/import", data={"token": token, "timezone": "UTC", "csrf_token": form}
    )
    count = db_session.scalar(select(func.count()).select_from(Application))
    assert (reply.status_code, "Redis unavailable" in reply.get_data(as_text=True), count) == (503, True, 0)
