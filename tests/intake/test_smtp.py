"""The inbound SMTP listener: 250 after the commit, 451/552/550 otherwise, STARTTLS with a certificate."""

from __future__ import annotations

import smtplib
import ssl
import subprocess

import pytest
from sqlalchemy import select

from tests.intake.conftest import free_port, make_raw
from triage.db import Channel, Database, Message
from triage.intake.smtp import Listener


@pytest.fixture
def listener(settings, database, redis_client):
    server = Listener(settings, database, redis_client, port=free_port()).start()
    yield server
    server.stop()


def _send(port: int, raw: bytes, to: str = "jobs@triage.localhost", starttls: bool = False):
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        if starttls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            client.starttls(context=context)
            client.ehlo()
        client.mail("sender@example.org")
        code, _ = client.rcpt(to)
        if code != 250:
            return code
        return client.data(raw)[0]


def test_250_means_the_message_is_in_the_database(listener, database):
    raw = make_raw(crlf=True)
    assert _send(listener.port, raw) == 250
    with database.session() as s:
        row = s.scalars(select(Message)).one()
    assert (row.raw, row.channel, row.envelope_from) == (raw, Channel.smtp, "sender@example.org")


def test_per_role_address_is_kept_as_the_envelope_recipient(listener, database):
    assert _send(listener.port, make_raw(crlf=True), to="jobs+REQ-1042@triage.localhost") == 250
    with database.session() as s:
        assert s.scalars(select(Message.envelope_to)).one() == "jobs+REQ-1042@triage.localhost"


def test_unknown_recipient_is_550(listener):
    assert _send(listener.port, make_raw(crlf=True), to="someone@elsewhere.example") == 550


def test_redelivery_gets_250_and_stays_one_row(listener, database):
    raw = make_raw(crlf=True)
    assert [_send(listener.port, raw), _send(listener.port, raw)] == [250, 250]
    with database.session() as s:
        assert len(s.scalars(select(Message.id)).all()) == 1


def test_over_the_size_limit_is_552(make_settings, redis_client):
    settings = make_settings(TRIAGE_MAX_MESSAGE_MB="1")
    server = Listener(settings, port=free_port()).start()
    try:
        code = _send(server.port, make_raw(body="\r\n".join(["x" * 76] * 14000), crlf=True))
    finally:
        server.stop()
    assert code == 552


def test_database_failure_is_451(make_settings, redis_client, tmp_path):
    settings = make_settings()
    broken = Database(f"sqlite:///{tmp_path}/no/such/dir/x.db")
    server = Listener(settings, broken, port=free_port()).start()
    try:
        code = _send(server.port, make_raw(crlf=True))
    finally:
        server.stop()
    assert code == 451


@pytest.fixture
def certificate(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_starttls_is_offered_and_works_with_a_certificate(make_settings, redis_client, certificate, database):
    cert, key = certificate
    settings = make_settings(TRIAGE_TLS_CERT=str(cert), TRIAGE_TLS_KEY=str(key))
    server = Listener(settings, port=free_port()).start()
    try:
        with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
            client.ehlo()
            offered = client.has_extn("starttls")
        code = _send(server.port, make_raw(crlf=True), starttls=True)
    finally:
        server.stop()
    assert (offered, code) == (True, 250)
