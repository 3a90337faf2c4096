"""Login, logout, throttling, CSRF, sessions, per-role access in pages and the API."""

from datetime import timedelta

import pytest

from tests.conftest import PASSWORD, csrf_from
from triage.accounts import users
from triage.accounts.passwords import hash_password


def test_login_page_renders(client):
    page = client.get("/login")
    assert page.status_code == 200 and b"Log in to Triage" in page.data


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_with_right_password_opens_home(client, make_user, login):
    user = make_user("admin")
    assert login(user).status_code == 302
    assert b"Inbox" in client.get("/").data


def test_wrong_password_is_refused(client, make_user, login):
    user = make_user()
    response = login(user, "not the password")
    assert response.status_code == 401 and b"Wrong email or password" in response.data


def test_unknown_email_is_refused_like_a_wrong_password(client, login):
    response = login("nobody@example.com")
    assert response.status_code == 401 and b"Wrong email or password" in response.data


def test_logout_ends_the_session(client, make_user, login):
    login(make_user())
    token = csrf_from(client.get("/").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/").status_code == 302


def test_throttling_after_repeated_failures(client, make_user, login, settings, clock):
    user = make_user()
    for _ in range(settings.login_max_attempts):
        login(user, "wrong password!")
    response = login(user)  # even the right password waits now
    assert response.status_code == 429 and b"too many failed logins" in response.data


def test_post_without_csrf_token_is_rejected(client, make_user):
    make_user(email="a@example.com")
    response = client.post("/login", data={"email": "a@example.com", "password": PASSWORD})
    assert response.status_code == 400


def test_password_hashes_are_argon2id():
    assert hash_password("long enough password").startswith("$argon2id$")


def test_short_password_is_refused(db_session):
    from triage.errors import BadInput

    with pytest.raises(BadInput):
        users.create_user(db_session, "x@example.com", "X", "short", "admin")


def test_session_cookie_flags(client, make_user, login):
    response = login(make_user())
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_secure_over_https(make_settings, redis_client):
    from triage import create_app

    app = create_app(make_settings(TRIAGE_BASE_URL="https://triage.example.com"))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    app.extensions["triage.database"].dispose()


def test_session_idle_expiry_is_twelve_hours(app):
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=12)
    assert app.config["SESSION_REFRESH_EACH_REQUEST"] is True


def test_line_manager_cannot_open_another_roles_page(client, make_user, make_role, login):
    mine, theirs = make_role("Nurse"), make_role("Chef")
    login(make_user("line_manager", roles=[mine]))
    assert client.get(f"/roles/{mine.id}").status_code == 200
    assert client.get(f"/roles/{theirs.id}").status_code == 404


def test_line_manager_home_lists_only_their_roles(client, make_user, make_role, login):
    mine, theirs = make_role("Nurse"), make_role("Chef")
    login(make_user("line_manager", roles=[mine]))
    page = client.get("/").get_data(as_text=True)
    assert mine.reference in page and theirs.reference not in page


def test_login_redirect_stays_on_this_site(client, make_user):
    make_user(email="r@example.com")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=//evil.example.com/", data={"email": "r@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    "quoted_next",
    [
        "%2F%09%2Fevil.example",  # the audit's: "/<tab>/evil.example", which a browser reads as //evil.example
        "%2F%0A%2Fevil.example",
        "%2F%0D%2Fevil.example",
        "%2F%5Cevil.example",  # "/\\evil.example"
        "%5C%5Cevil.example",
        "https%3A%2F%2Fevil.example%2F",
        "javascript%3Aalert(1)",
        "%2F%2F%2Fevil.example",
    ],
)
def test_login_redirect_refuses_a_path_a_browser_reads_as_another_site(client, make_user, quoted_next):
    make_user(email="r@example.com")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        f"/login?next={quoted_next}", data={"email": "r@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"] == "/"


def test_login_redirect_follows_a_local_path(client, make_user):
    make_user(email="r@example.com")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=%2Froles%2F7%3Flane%3Dtoday",
        data={"email": "r@example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/roles/7?lane=today"


class TestApiTokens:
    def test_api_refuses_without_token(self, client):
        response = client.get("/api/v1/roles")
        assert response.status_code == 401 and response.json["error"]

    def test_api_refuses_a_wrong_token(self, client):
        assert client.get("/api/v1/roles", headers={"Authorization": "Bearer trg_nope"}).status_code == 401

    def test_token_is_stored_hashed(self, db_session, make_user):
        from sqlalchemy import select

        from triage.db import ApiToken

        token = users.create_token(db_session, make_user(), "ci")
        db_session.commit()
        stored = db_session.scalar(select(ApiToken.token_hash))
        assert token not in stored and len(stored) == 64

    def test_line_manager_token_sees_only_their_roles(self, client, db_session, make_user, make_role):
        mine, theirs = make_role("Nurse"), make_role("Chef")
        token = users.create_token(db_session, make_user("line_manager", roles=[mine]), "ci")
        db_session.commit()
        headers = {"Authorization": f"Bearer {token}"}
        listed = [r["reference"] for r in client.get("/api/v1/roles", headers=headers).json["roles"]]
        assert listed == [mine.reference]
        assert client.get(f"/api/v1/roles/{theirs.id}", headers=headers).status_code == 404
        assert client.get(f"/api/v1/roles/{mine.id}", headers=headers).status_code == 200

    def test_revoked_token_is_refused(self, client, db_session, make_user):
        from sqlalchemy import update

        from triage.db import ApiToken
        from triage.db.base import utcnow

        token = users.create_token(db_session, make_user(), "ci")
        db_session.execute(update(ApiToken).values(revoked_at=utcnow()))
        db_session.commit()
        assert client.get("/api/v1/roles", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_openapi_document_is_served(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.") and "/roles" in document["paths"]
