"""Export: a zip a person can read, with their raw mail, their applications, our mail and our decisions."""

from __future__ import annotations

import io
import json
import zipfile

from tests.privacy.conftest import ERASED, ERASED_NAME, KEPT_PHRASE, PHRASE
from triage.db.base import utcnow
from triage.privacy import erase, export


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_zip_holds_their_raw_mail_as_eml(db_session, history):
    files = unzip(export.build(db_session, erase.find(db_session, ERASED), utcnow()))
    emls = [name for name in files if name.startswith("mail/") and name.endswith(".eml")]
    assert len(emls) == 10 and all(PHRASE.encode() in files[name] for name in emls)


def test_the_json_holds_applications_decisions_and_our_mail(db_session, history):
    data = json.loads(unzip(export.build(db_session, erase.find(db_session, ERASED), utcnow()))["data.json"])
    [application] = data["applications"]
    decisions = data["messages_from_you"]
    assert (data["candidate"]["name"], application["role"], application["stage"]) == (
        ERASED_NAME,
        "Data Analyst",
        "interviewed",
    )
    assert all(d["lane"] and d["intent"] and d["reasons"] for d in decisions) and len(decisions) == 10
    assert sorted(m["kind"] for m in data["messages_to_you"]) == ["batch", "reply", "reply"]


def test_the_zip_explains_itself_and_holds_nobody_else(db_session, history):
    files = unzip(export.build(db_session, erase.find(db_session, ERASED), utcnow()))
    assert b"data.json" in files["README.txt"] and ERASED.encode() in files["README.txt"]
    assert not any(KEPT_PHRASE.encode() in body for body in files.values())


def test_our_mail_to_them_is_readable_text(db_session, history):
    files = unzip(export.build(db_session, erase.find(db_session, ERASED), utcnow()))
    sent = [files[n].decode() for n in files if n.startswith("sent/")]
    assert len(sent) == 3 and any(f"Dear {ERASED_NAME}" in text for text in sent)
