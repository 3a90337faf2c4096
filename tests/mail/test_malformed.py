"""Real broken MIME: every file parses without an exception, keeps its bytes, reports defects."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.shared_fixtures import _DEFAULT, ENV_VAR, shared_fixtures_dir
from triage.mail.parse import parse
from triage.mail.report import describe_bytes

_BASE = Path(os.environ.get(ENV_VAR) or _DEFAULT) / "malformed"
FILES = sorted(p.name for p in _BASE.iterdir() if p.is_file() and p.suffix != ".md") if _BASE.is_dir() else ["<absent>"]
# Files whose structure is broken in a way the parser notices.
BROKEN = {
    "pystdlib__msg_25.txt",
    "pystdlib__msg_31.txt",
    "pystdlib__msg_41.txt",
    "pystdlib__msg_35.txt",
    "flanker__false-multipart.eml",
    "flanker__missing-final-boundary.eml",
    "spamassassin__spam_badmime2.txt",
    "mailparser__mail_outlook_1.msg",
    "flanker__enclosed-broken.eml",
}


@pytest.mark.parametrize("name", FILES)
def test_parses_and_keeps_raw(name: str) -> None:
    raw = (shared_fixtures_dir() / "malformed" / name).read_bytes()
    info = describe_bytes(raw, name)
    assert parse(raw).raw == raw
    assert isinstance(info["body_text"], str) and isinstance(info["defects"], list)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_structure_is_reported(name: str) -> None:
    raw = (shared_fixtures_dir() / "malformed" / name).read_bytes()
    assert parse(raw).defects


def test_multipart_without_boundary_keeps_its_text() -> None:
    raw = (shared_fixtures_dir() / "malformed" / "pystdlib__msg_41.txt").read_bytes()
    assert parse(raw).text.strip()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_fixtures_never_raise(data: st.DataObject) -> None:
    small = [n for n in FILES if (_BASE / n).is_file() and (_BASE / n).stat().st_size < 20_000]
    raw = bytearray((shared_fixtures_dir() / "malformed" / data.draw(st.sampled_from(small))).read_bytes())
    for _ in range(data.draw(st.integers(1, 20))):
        if raw:
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    info = describe_bytes(bytes(raw), "mutant")
    assert isinstance(info["reply_text"], str)
