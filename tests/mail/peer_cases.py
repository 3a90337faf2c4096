"""Load the peer suites in ../shared/fixtures as (case name, expectation, input) triples."""

from __future__ import annotations

import json
from pathlib import Path

from tests.shared_fixtures import shared_fixtures_dir


def suite_dir(*parts: str) -> Path:
    """The folder of one peer suite (skips when the shared fixtures are absent)."""
    return shared_fixtures_dir().joinpath(*parts)


def case_names(*parts: str) -> list[str]:
    """Case names of a suite, for parametrize; empty when the fixtures are absent."""
    import os

    from tests.shared_fixtures import _DEFAULT, ENV_VAR

    base = Path(os.environ.get(ENV_VAR) or _DEFAULT).joinpath(*parts)
    path = base / "expected.json"
    return sorted(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else ["<fixtures absent>"]


def load(parts: tuple[str, ...], name: str) -> tuple[dict, Path]:
    """Return (expectation, suite folder) for one case."""
    base = suite_dir(*parts)
    expected = json.loads((base / "expected.json").read_text(encoding="utf-8"))
    return expected[name], base


def read_text(path: Path) -> str:
    """Read a fixture as bytes and decode UTF-8 without newline translation."""
    return path.read_bytes().decode("utf-8")
