"""Auto-reply detection and threading data."""

from __future__ import annotations

import pytest

from triage.mail.autoreply import is_auto_reply
from triage.mail.parse import parse
from triage.mail.threading import message_ids, normalize_subject


def _auto(headers: str, body: str = "Thanks for your mail.") -> bool:
    mail = parse((headers + "Subject: Re: interview\r\n\r\n" + body).encode())
    return is_auto_reply(mail.header, mail.sender.address, mail.subject, mail.text)


@pytest.mark.parametrize(
    "headers",
    [
        "From: a@x.org\r\nAuto-Submitted: auto-replied\r\n",
        "From: a@x.org\r\nAuto-Submitted: auto-generated\r\n",
        "From: a@x.org\r\nX-Autoreply: yes\r\n",
        "From: a@x.org\r\nX-Autorespond: yes\r\n",
        "From: a@x.org\r\nPrecedence: bulk\r\n",
        "From: a@x.org\r\nPrecedence: junk\r\n",
        "From: a@x.org\r\nPrecedence: list\r\n",
        "From: a@x.org\r\nList-Id: <jobs.lists.example.org>\r\n",
        "From: a@x.org\r\nReturn-Path: <>\r\n",
        "From: MAILER-DAEMON@x.org\r\n",
        "From: no-reply@x.org\r\n",
        "From: noreply@x.org\r\n",
    ],
)
def test_automatic_headers(headers: str) -> None:
    assert _auto(headers)


@pytest.mark.parametrize(
    "body",
    [
        "I am out of the office until Monday.",
        "Ich bin bis 3. Mai abwesend.",
        "Je suis absent du bureau.",
        "Estoy fuera de la oficina.",
        "Automatisch antwoord: ik ben afwezig",
    ],
)
def test_out_of_office_wording(body: str) -> None:
    assert _auto("From: a@x.org\r\n", body)


def test_auto_submitted_no_is_a_person() -> None:
    assert not _auto("From: a@x.org\r\nAuto-Submitted: no\r\nReturn-Path: <a@x.org>\r\n")


@pytest.mark.parametrize(
    "subject, expected",
    [
        ("Re: Interview", "Interview"),
        ("RE: RE: Fwd: Interview", "Interview"),
        ("AW: WG: Interview", "Interview"),
        ("TR: RE: Interview", "Interview"),
        ("RV: Interview", "Interview"),
        ("SV: VS: Interview", "Interview"),
        ("Antw: Interview", "Interview"),
        ("Odp: Interview", "Interview"),
        ("Ynt: Interview", "Interview"),
        ("回复: 面试", "面试"),
        ("转发: 面试", "面试"),
        ("[Fwd: Interview]", "Interview"),
        ("Re[2]: Interview", "Interview"),
        ("Fw: Re:  Interview  today", "Interview today"),
        ("=?utf-8?q?Re:_Entrevista?=", "Entrevista"),
        ("Interview: Re: the plan", "Interview: Re: the plan"),
    ],
)
def test_normalize_subject(subject: str, expected: str) -> None:
    assert normalize_subject(subject) == expected


def test_threading_ids() -> None:
    mail = parse(b"Message-ID: <a@x>\r\nIn-Reply-To: <b@x>\r\nReferences: <c@x> <b@x>\r\n\r\nhi")
    assert (mail.message_id, mail.in_reply_to, mail.references) == ("<a@x>", ("<b@x>",), ("<c@x>", "<b@x>"))
    assert message_ids("<c@x>\r\n <c@x>") == ["<c@x>"]
