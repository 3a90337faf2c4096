"""SMTP_URL: plain, STARTTLS and TLS from the start, with authentication, against a real sink."""

from __future__ import annotations

import ssl
import subprocess

import pytest
from sqlalchemy import select

from tests.outbound.conftest import free_port
from triage.db import Outbound
from triage.db.base import Database
from triage.outbound import delivery, outbox
from triage.outbound.sink import Sink


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for localhost (made by the openssl command line)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
        )
    except FileNotFoundError:
        pytest.skip("no openssl command to make a test certificate")
    return cert, key


@pytest.fixture
def tls_sink(certificate, request):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = Sink(
        "127.0.0.1", free_port(), tls=context, implicit_tls=request.param, users={"mailer": "s3cret:pw"}
    ).start()
    yield server
    server.stop()


def send_one(db_session, make_settings, make_application, make_message, url):
    settings = make_settings(SMTP_URL=url)
    message = make_message(make_application())
    row = outbox.create_reply(
        db_session, settings, message_id=message.id, subject="Re: x", body_text="Hi", user_id=None
    )
    db_session.commit()
    database = Database(settings.database_url)
    try:
        tally = delivery.deliver(database, settings, [row.id])
    finally:
        database.dispose()
    return tally


@pytest.mark.parametrize(("tls_sink", "scheme"), [(False, "smtp+starttls"), (True, "smtps")], indirect=["tls_sink"])
def test_tls_with_authentication_delivers(
    db_session, make_settings, redis_client, make_application, make_message, tls_sink, scheme, certificate, monkeypatch
):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # trust the test certificate
    tally = send_one(
        db_session,
        make_settings,
        make_application,
        make_message,
        f"{scheme}://mailer:s3cret%3Apw@localhost:{tls_sink.port}",
    )
    assert tally.sent == 1 and len(tls_sink.messages) == 1


@pytest.mark.parametrize("tls_sink", [False], indirect=True)
def test_wrong_password_defers_with_the_reason(
    db_session, make_settings, redis_client, make_application, make_message, tls_sink, certificate, monkeypatch
):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    tally = send_one(
        db_session,
        make_settings,
        make_application,
        make_message,
        f"smtp+starttls://mailer:wrong@localhost:{tls_sink.port}",
    )
    assert tally.as_dict() == {"sent": 0, "deferred": 1, "failed": 0}
    # The relay's own answer, not a timeout (the sink once sent nothing and the client waited 30 s).
    db_session.expire_all()
    (row,) = db_session.scalars(select(Outbound)).all()
    assert "535" in row.last_error and "timed out" not in row.last_error


@pytest.mark.parametrize("tls_sink", [False], indirect=True)
def test_an_untrusted_certificate_is_refused(
    db_session, make_settings, redis_client, make_application, make_message, tls_sink
):
    tally = send_one(
        db_session,
        make_settings,
        make_application,
        make_message,
        f"smtp+starttls://mailer:s3cret%3Apw@localhost:{tls_sink.port}",
    )
    assert tally.sent == 0 and tls_sink.messages == []


def test_a_relay_without_pipelining_gets_one_command_at_a_time(sink):
    import smtplib

    from triage.outbound import relay

    with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("pipelining")  # the sink offers it; this relay will not
        del smtp.esmtp_features["pipelining"]
        relay.transaction(smtp, "jobs@acme.example", "ada@example.org", b"Subject: s\r\n\r\n.hi\r\n")
    assert sink.messages[0].original_content == b"Subject: s\r\n\r\n.hi\r\n"
