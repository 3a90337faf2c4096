"""Only authentic mail changes state: a forged withdrawal is proposed, a signed one or a team forward applied."""

from __future__ import annotations

import shutil
import subprocess

import dkim
import pytest
from dkim import dknewkey
from sqlalchemy import select

from tests.intake.conftest import make_raw
from triage.db import Application, AppStage, AuditEvent, Channel, Lane, Message
from triage.intake.accept import Delivery, accept_many
from triage.mail import authentication
from triage.mail.parse import parse
from triage.processing import authority, pipeline

CANDIDATE = "ada@example.org"
WITHDRAWAL = "Dear Rita, I have decided to withdraw my application. Kind regards, Ada"


@pytest.fixture(scope="module")
def dkim_key(tmp_path_factory):
    """A fresh RSA key made with dkimpy's own key tool, and the TXT record that publishes it."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to generate a DKIM key")
    folder = tmp_path_factory.mktemp("dkim")
    private, record = folder / "key.pem", folder / "key.dns"
    try:
        dknewkey.GenRSAKeys(str(private), verbose=False)
        dknewkey.ExtractRSADnsPublicKey(str(private), str(record), verbose=False)
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"openssl could not make a key: {exc}")
    return private.read_bytes(), record.read_bytes()


@pytest.fixture
def dns(dkim_key):
    """An offline resolver: sel._domainkey.example.org answers with the test key; nothing else exists."""
    records = {b"sel._domainkey.example.org.": dkim_key[1]}
    authority.use_resolver(lambda name, timeout=5: records.get(name if name.endswith(b".") else name + b"."))
    yield records
    authority.use_resolver(None)


def _signed(raw: bytes, key: bytes, domain: bytes = b"example.org") -> bytes:
    raw = raw.replace(b"\n", b"\r\n")
    return dkim.sign(raw, b"sel", domain, key, include_headers=[b"from", b"to", b"subject", b"date"]) + raw


def _ingest(settings, database, raw: bytes) -> Message:
    [accepted] = accept_many(database, [Delivery(raw, Channel.smtp)], None)
    pipeline.run(database, settings, [accepted.id])
    with database.session() as s:
        return s.get(Message, accepted.id)


def _stage(database, app) -> AppStage:
    with database.session() as s:
        return s.get(Application, app.id).stage


def test_a_forged_withdrawal_is_proposed_not_applied(settings, database, keyword_model, make_role, make_application):
    app = make_application(CANDIDATE, make_role("Data Analyst"))
    m = _ingest(settings, database, make_raw(subject="Withdrawing my application - REQ-1042", body=WITHDRAWAL))
    with database.session() as s:
        proposed = s.scalars(select(AuditEvent.action).where(AuditEvent.target_id == app.id)).all()
    assert (_stage(database, app), m.proposal, m.lane, proposed) == (
        AppStage.interviewed,
        "withdraw",
        Lane.review,
        ["application.withdraw.proposed"],
    )


def test_a_proposed_withdrawal_says_why_in_the_lane_reason(
    settings, database, keyword_model, make_role, make_application
):
    make_application(CANDIDATE, make_role("Data Analyst"))
    m = _ingest(settings, database, make_raw(body=WITHDRAWAL))
    assert m.reasons == [
        "candidate withdraws — not applied: the sender is not authenticated (no DKIM signature); "
        "Confirm withdrawal on the message once you have checked with them"
    ]


def test_a_dkim_signed_withdrawal_is_applied(
    settings, database, keyword_model, make_role, make_application, dkim_key, dns
):
    app = make_application(CANDIDATE, make_role("Data Analyst"))
    m = _ingest(settings, database, _signed(make_raw(body=WITHDRAWAL), dkim_key[0]))
    assert (_stage(database, app), m.proposal, m.lane) == (AppStage.withdrawn, None, Lane.fyi)


def test_a_signature_of_another_domain_does_not_authenticate(
    settings, database, keyword_model, make_role, make_application, dkim_key, dns
):
    dns[b"sel._domainkey.evil.example."] = dkim_key[1]
    app = make_application(CANDIDATE, make_role("Data Analyst"))
    m = _ingest(settings, database, _signed(make_raw(body=WITHDRAWAL), dkim_key[0], b"evil.example"))
    assert (_stage(database, app), m.proposal) == (AppStage.interviewed, "withdraw")


def test_a_signature_broken_in_transit_does_not_authenticate(
    settings, database, keyword_model, make_role, make_application, dkim_key, dns
):
    app = make_application(CANDIDATE, make_role("Data Analyst"))
    raw = _signed(make_raw(body=WITHDRAWAL), dkim_key[0]).replace(b"withdraw my", b"withdraw  my")
    m = _ingest(settings, database, raw)
    assert (_stage(database, app), m.proposal) == (AppStage.interviewed, "withdraw")


def test_a_team_members_forward_of_a_withdrawal_is_applied(
    settings, database, keyword_model, make_role, make_application, make_user
):
    make_user("recruiter", email="rita@example.com")
    app = make_application(CANDIDATE, make_role("Data Analyst"))
    body = (
        f"FYI\n\n---------- Forwarded message ---------\nFrom: Ada <{CANDIDATE}>\nSubject: Withdrawal\n\n{WITHDRAWAL}\n"
    )
    m = _ingest(settings, database, make_raw(sender="Rita <rita@example.com>", subject="Fwd: Withdrawal", body=body))
    assert (_stage(database, app), m.proposal, m.lane) == (AppStage.withdrawn, None, Lane.fyi)


# --- the trusted relay's Authentication-Results ---------------------------------------------------
def _with_results(value: str) -> bytes:
    return make_raw(body=WITHDRAWAL, headers={"Authentication-Results": value})


def test_our_gateways_dmarc_pass_authenticates():
    mail = parse(
        _with_results("mx.acme.example; spf=pass smtp.mailfrom=example.org; dmarc=pass header.from=example.org")
    )
    assert authentication.verify(mail, trusted_relays=["mx.acme.example"]).authentic


def test_results_written_by_anyone_else_are_ignored():
    mail = parse(_with_results("mx.evil.example; dmarc=pass header.from=example.org"))
    assert authentication.verify(mail, trusted_relays=["mx.acme.example"]).how == "no DKIM signature"


def test_results_are_ignored_when_no_relay_is_trusted():
    mail = parse(_with_results("mx.acme.example; dmarc=pass header.from=example.org"))
    assert not authentication.verify(mail).authentic


def test_a_failed_dmarc_from_our_gateway_does_not_authenticate():
    mail = parse(_with_results("mx.acme.example; dkim=fail header.d=example.org; dmarc=fail header.from=example.org"))
    assert not authentication.verify(mail, trusted_relays=["mx.acme.example"]).authentic


def test_a_withdrawal_passed_by_the_configured_gateway_is_applied(
    make_settings, redis_client, database, keyword_model, make_role, make_application
):
    settings = make_settings(TRIAGE_TRUSTED_AUTHSERV_IDS="mx.acme.example")
    app = make_application(CANDIDATE, make_role("Data Analyst"))
    raw = make_raw(
        subject="Withdrawing my application - REQ-1042",
        body=WITHDRAWAL,
        headers={"Authentication-Results": "mx.acme.example; dmarc=pass header.from=example.org"},
    )
    m = _ingest(settings, database, raw)
    assert (_stage(database, app), m.proposal) == (AppStage.withdrawn, None)
